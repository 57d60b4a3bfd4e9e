package g711_test

import (
	"fmt"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
)

func Example() {
	var pcm hal.Frame // 20 ms of silence
	var ulaw, alaw g711.Frame
	g711.PCMU.Encode(&ulaw, &pcm)
	g711.Transcode(&alaw, &ulaw, g711.PCMU, g711.PCMA)
	fmt.Printf("%#x %#x\n", ulaw[0], alaw[0])
	// Output: 0xff 0xd5
}
