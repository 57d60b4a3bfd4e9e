package sim

import (
	"sync"
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

// clock is a simulated board's time: the start of the next frame, paced
// on the wall clock when realtime. Both boards embed it.
type clock struct {
	realtime bool

	mu      sync.Mutex
	now     time.Time
	skipped int64 // frames an overrun skipped (realtime)
	closed  bool
}

// newClock starts at opts.Start; by default at a fixed date, or the wall
// clock's now when realtime.
func newClock(opts Options) clock {
	start := opts.Start
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		if opts.Realtime {
			start = time.Now()
		}
	}
	return clock{realtime: opts.Realtime, now: start}
}

// Now returns the simulated time: the start of the next frame.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Skipped counts the frames a realtime board skipped after stalls (pace).
func (c *clock) Skipped() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skipped
}

// frame returns the start of the frame to carry, and how many it skipped,
// once a realtime clock has paced it; hal.ErrClosed after close.
func (c *clock) frame() (time.Time, int64, error) {
	c.mu.Lock()
	t, closed := c.now, c.closed
	c.mu.Unlock()
	if closed {
		return time.Time{}, 0, hal.ErrClosed
	}
	if !c.realtime {
		return t, 0, nil
	}
	t, skipped := pace(t)
	return t, skipped, nil
}

// carried moves the clock past the frame that started at t and returns its end.
func (c *clock) carried(t time.Time, skipped int64) time.Time {
	end := t.Add(hal.FrameDuration)
	c.mu.Lock()
	c.now = end
	c.skipped += skipped
	c.mu.Unlock()
	return end
}

// close stops the clock; it reports whether it ran until now.
func (c *clock) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := !c.closed
	c.closed = true
	return was
}
