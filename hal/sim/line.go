package sim

import (
	"sync/atomic"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

// eventBuffer holds a few seconds of rotary dialling, far more than the
// one frame of events the PBX drains at a time.
const eventBuffer = 1024

// Line is an ideal line card on a wire: it applies the linefeed exactly as
// asked and reports every loop change at the moment it happens. The chip
// models replace it with real driver code on the same wire.
type Line struct {
	port    int
	w       *wire.Wire
	events  chan hal.Event
	feed    atomic.Uint32
	dropped atomic.Uint64
}

var _ hal.Line = (*Line)(nil)

// NewLine returns the line card for port on w.
func NewLine(port int, w *wire.Wire) *Line {
	l := &Line{port: port, w: w, events: make(chan hal.Event, eventBuffer)}
	w.OnLoop(l.loop)
	return l
}

func (l *Line) loop(closed bool, at time.Time) {
	k := hal.OnHook
	if closed {
		k = hal.OffHook
	}
	select {
	case l.events <- hal.Event{Kind: k, At: at}:
	default:
		l.dropped.Add(1)
	}
}

// Port returns the 1-based port number.
func (l *Line) Port() int { return l.port }

// Events delivers loop changes.
func (l *Line) Events() <-chan hal.Event { return l.events }

// SetFeed applies a linefeed state.
func (l *Line) SetFeed(f hal.Feed) error {
	l.feed.Store(uint32(f))
	l.w.SetFeed(f)
	return nil
}

// Feed returns the linefeed state last applied.
func (l *Line) Feed() hal.Feed { return hal.Feed(l.feed.Load()) }
