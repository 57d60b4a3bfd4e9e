package simclock

import (
	"sync"
	"time"
)

// Clock is a monotonic simulated clock. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
	ext time.Time // last board time seen by AdvanceTo
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start, ext: start} }

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d at once: a driver waiting on a simulated chip
// waits no wall time.
func (c *Clock) Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// AdvanceTo moves the clock forward by as much as the board's time moved
// since the last call. The chip's clock therefore runs ahead of the board's
// by the time its driver has slept, and both move together afterwards.
func (c *Clock) AdvanceTo(board time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := board.Sub(c.ext); d > 0 {
		c.now = c.now.Add(d)
		c.ext = board
	}
}
