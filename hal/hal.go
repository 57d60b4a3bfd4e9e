// Package hal is the hardware boundary: the small interfaces through which the
// PBX sees telephone lines, whatever drives them (a SLIC chip on a real board
// or the simulated board of hal/sim). It knows telephone lines, not chips.
package hal

import (
	"errors"
	"time"
)

// FrameSamples is the number of samples in one frame: 20 ms at 8 kHz.
const FrameSamples = 160

// FrameDuration is the length of one audio frame, the tick of every audio path.
const FrameDuration = 20 * time.Millisecond

// SampleRate is the rate of all audio inside the PBX, in Hz.
const SampleRate = 8000

// Frame is 20 ms of 8 kHz 16-bit linear audio. It is a fixed array so the
// audio path never allocates.
type Frame [FrameSamples]int16

// Feed is the linefeed state the exchange side applies to a line.
type Feed uint8

// Linefeed states. They follow the ProSLIC linefeed register (Si3210 reg 64,
// datasheet Table 23; Si3226x LINEFEED), which every SLIC family offers in some form.
const (
	FeedOpen       Feed = iota // no battery: line disconnected (power alarm, forward disconnect)
	FeedForward                // forward active: talk battery, normal polarity
	FeedReverse                // reverse active: polarity reversed
	FeedOHT                    // forward on-hook transmission: audio passes with the loop open
	FeedReverseOHT             // reverse on-hook transmission
	FeedRinging                // ringing voltage applied
)

var feedNames = [...]string{"open", "forward", "reverse", "oht", "reverse-oht", "ringing"}

func (f Feed) String() string {
	if int(f) < len(feedNames) {
		return feedNames[f]
	}
	return "feed?"
}

// EventKind says what happened on a line.
type EventKind uint8

// Line events. Hook events are raw loop-closure changes: the FXS channel
// debounces and classifies them (pulse digit, flash, hang-up).
const (
	OffHook   EventKind = iota + 1 // loop closed
	OnHook                         // loop opened
	Fault                          // the port went out of service (power alarm, chip lost)
	Recovered                      // the port is back in service
)

var eventNames = [...]string{"", "offhook", "onhook", "fault", "recovered"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event?"
}

// Event is one line event, stamped with the time it happened at the source
// (the chip's interrupt, or the simulated phone's hook switch).
type Event struct {
	Kind   EventKind
	At     time.Time
	Reason string // for Fault: why the port is out of service
}

// Line is one FXS port as the PBX sees it.
type Line interface {
	// Port is the 1-based port number printed on the box.
	Port() int
	// Events delivers hook changes and faults in time order. The channel is
	// buffered; the consumer drains it once per frame.
	Events() <-chan Event
	// SetFeed applies a linefeed state. Ring cadence is timed by the caller.
	SetFeed(Feed) error
	// Feed returns the linefeed state last applied.
	Feed() Feed
}

// Board is a set of lines sharing one audio bus that paces them.
type Board interface {
	// Lines returns the board's lines in port order.
	Lines() []Line
	// Tick carries one frame both ways on every line: tx[i] goes out on
	// Lines()[i], rx[i] receives what that line sent. It returns the time at
	// the end of the frame. On hardware the PCM clock paces it; the simulated
	// board advances its clock by one frame.
	Tick(tx, rx []Frame) (time.Time, error)
	// Close halts every line (feed open, ringing stopped) and releases the board.
	Close() error
}

// ErrClosed is returned by Tick after Close.
var ErrClosed = errors.New("hal: board closed")
