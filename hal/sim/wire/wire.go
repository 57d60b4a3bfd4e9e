package wire

import (
	"sync"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// LoopFunc is told of every loop change, with the time it happened.
type LoopFunc func(closed bool, at time.Time)

// Wire is one two-wire line between the exchange side and a phone. It is
// safe for concurrent use: the board ticks it while the API drives the phone.
type Wire struct {
	mu     sync.Mutex
	feed   hal.Feed
	closed bool
	onLoop LoopFunc
	down   hal.Frame // exchange → phone, this frame
	up     hal.Frame // phone → exchange, this frame
}

// NewWire returns an idle line: feed open, loop open, silence both ways.
func NewWire() *Wire { return &Wire{} }

// Exchange side.

// SetFeed applies a linefeed state.
func (w *Wire) SetFeed(f hal.Feed) {
	w.mu.Lock()
	w.feed = f
	w.mu.Unlock()
}

// Loop reports whether the loop is closed (the phone is off-hook).
func (w *Wire) Loop() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// OnLoop sets the function told of loop changes (the line card's
// loop-closure detector). It is called with the wire's lock released.
func (w *Wire) OnLoop(fn LoopFunc) {
	w.mu.Lock()
	w.onLoop = fn
	w.mu.Unlock()
}

// Send puts the exchange's audio for the current frame on the line.
func (w *Wire) Send(f *hal.Frame) {
	w.mu.Lock()
	w.down = *f
	w.mu.Unlock()
}

// Receive copies the audio the phone put on the line this frame.
func (w *Wire) Receive(f *hal.Frame) {
	w.mu.Lock()
	*f = w.up
	w.mu.Unlock()
}

// Phone side.

// Feed returns the linefeed the exchange applies.
func (w *Wire) Feed() hal.Feed {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.feed
}

// SetLoop closes or opens the loop at the given time.
func (w *Wire) SetLoop(closed bool, at time.Time) {
	w.mu.Lock()
	if w.closed == closed {
		w.mu.Unlock()
		return
	}
	w.closed = closed
	fn := w.onLoop
	w.mu.Unlock()
	if fn != nil {
		fn(closed, at)
	}
}

// Listen copies what the line carries towards the phone this frame: the
// exchange's audio while the feed passes audio, silence otherwise (no
// battery, or ringing voltage on the pair).
func (w *Wire) Listen(f *hal.Frame) {
	w.mu.Lock()
	switch w.feed {
	case hal.FeedOpen, hal.FeedRinging:
		*f = hal.Frame{}
	default:
		*f = w.down
	}
	w.mu.Unlock()
}

// Talk puts the phone's audio for this frame on the line. An on-hook phone
// sends silence: its transmitter is out of the loop.
func (w *Wire) Talk(f *hal.Frame) {
	w.mu.Lock()
	if w.closed && w.feed != hal.FeedOpen {
		w.up = *f
	} else {
		w.up = hal.Frame{}
	}
	w.mu.Unlock()
}
