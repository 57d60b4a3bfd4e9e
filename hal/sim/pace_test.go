package sim

import (
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// A realtime board that was not ticked for a while skips the frames it
// missed, as a PCM device overruns, instead of replaying them: one Tick
// after a stall of 15 frames or more moves its clock past all of them.
func TestRealtimeBoardSkipsAfterStall(t *testing.T) {
	b, err := New(Options{Ports: 1, Country: "us", Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tx, rx := make([]hal.Frame, 1), make([]hal.Frame, 1)
	before := b.Now()
	time.Sleep(15*hal.FrameDuration + maxLag)
	end, err := b.Tick(tx, rx)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Skipped(); got < 15 {
		t.Errorf("skipped %d frames after the stall, want at least 15", got)
	}
	if frames := end.Sub(before) / hal.FrameDuration; frames != time.Duration(b.Skipped())+1 {
		t.Errorf("the clock moved %d frames, want the skipped %d and the one ticked", frames, b.Skipped())
	}
}
