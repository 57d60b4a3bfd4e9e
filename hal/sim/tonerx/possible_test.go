package tonerx_test

import (
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/tonerx"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// German tones are all 425 Hz: 800 ms in, dial tone is possible but
// not yet certain; busy (480 ms bursts) is already excluded at 800 ms.
func TestPossible(t *testing.T) {
	r, err := tonerx.New("de")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := tone.PlanFor("de")
	if err != nil {
		t.Fatal(err)
	}
	var p tone.Player
	p.Play(plan.Tones[tone.Dial])
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var f [160]int16
	for range 40 {
		p.Fill(&f)
		r.Feed(&f, at)
		at = at.Add(20 * time.Millisecond)
	}
	if h := r.Heard(); h == "dialtone" {
		t.Fatalf("dial tone certain after 800 ms of 425 Hz")
	}
	if !r.Possible("dialtone") || r.Possible("busy") {
		t.Errorf("possible: dialtone %v, busy %v", r.Possible("dialtone"), r.Possible("busy"))
	}
}
