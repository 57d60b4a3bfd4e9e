package dtmf_test

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/pbx/dtmf"
)

// A generator plays digits into a detector, one 20 ms frame at a time, as
// the FXS channel's media tick does.
func Example() {
	gen := dtmf.NewGenerator()
	for _, k := range []byte("12#") {
		if err := gen.Start(k, 80*time.Millisecond, 60*time.Millisecond); err != nil {
			fmt.Println(err)
			return
		}
	}
	det := dtmf.NewDetector()
	var frame [160]int16
	for range 30 { // 600 ms: the digits, then silence
		gen.Fill(&frame)
		switch ev := det.Process(&frame); ev.Kind {
		case dtmf.KeyDown:
			fmt.Printf("down %c\n", ev.Digit)
		case dtmf.KeyUp:
			fmt.Printf("up %c after %v\n", ev.Digit, ev.Duration)
		}
	}
	// Output:
	// down 1
	// up 1 after 80ms
	// down 2
	// up 2 after 80ms
	// down #
	// up # after 80ms
}
