package sim

import (
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// maxLag is how far a realtime board's clock may trail the wall clock. A
// PCM device buffers a few periods; a host later than that overruns and
// the frames it missed are gone. The simulated boards do the same: after a
// stall they skip ahead instead of replaying every missed frame at once, a
// burst that would only load an already late engine further.
const maxLag = 4 * hal.FrameDuration

// pace waits until the wall clock reaches the end of the frame starting at
// t and returns t; when the wall clock is more than maxLag past that end,
// it returns the start of the frame now due and how many frames it skipped.
func pace(t time.Time) (time.Time, int64) {
	late := -time.Until(t.Add(hal.FrameDuration))
	switch {
	case late < 0:
		time.Sleep(-late)
	case late > maxLag:
		n := int64(late / hal.FrameDuration)
		return t.Add(time.Duration(n) * hal.FrameDuration), n
	}
	return t, 0
}
