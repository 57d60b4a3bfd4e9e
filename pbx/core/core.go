package core

import (
	"errors"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Party is who is calling or being called.
type Party struct {
	Number string
	Name   string
}

// Indication is call progress shown to a caller.
type Indication uint8

// Indications. What a channel makes of them is its own business: an FXS port
// plays a tone, a SIP leg sends a provisional or final response.
const (
	Ringing    Indication = iota + 1 // the called party is alerting: ringback
	Busy                             // the called party is busy
	Congestion                       // the number cannot be reached
	Answered                         // the called party answered: audio is bridged
	Held                             // the other party put the call on hold
	Resumed                          // the other party took the call off hold
)

var indicationNames = [...]string{"", "ringing", "busy", "congestion", "answered", "held", "resumed"}

func (i Indication) String() string {
	if int(i) < len(indicationNames) {
		return indicationNames[i]
	}
	return "indication?"
}

// Cause says why a call ended.
type Cause uint8

// Hang-up causes.
const (
	Normal     Cause = iota + 1 // a party hung up
	Cancelled                   // the caller gave up before the answer
	Rejected                    // the called party refused or was busy
	Unroutable                  // no such number
	Failed                      // an endpoint failed (fault, network)
)

var causeNames = [...]string{"", "normal", "cancelled", "rejected", "unroutable", "failed"}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "cause?"
}

// ErrBusy is returned by Channel.Offer when the endpoint cannot take a call.
var ErrBusy = errors.New("core: busy")

// Channel is one endpoint of calls. The engine calls these methods in its
// own goroutine; they must not block.
type Channel interface {
	// Name identifies the channel in logs and call records: "fxs/1", "sip/200".
	Name() string
	// Offer presents an incoming call. The channel starts alerting and later
	// reports Ringing, Answer or Hangup to the call. ErrBusy refuses it.
	Offer(c *Call, from Party) error
	// Indicate tells the channel how its call progresses at the other end:
	// the progress of an outgoing call, or hold and resume by the other party.
	Indicate(c *Call, ind Indication)
	// Hangup tells the channel its call ended from the other side.
	Hangup(c *Call, cause Cause)
	// ReadFrame gives this tick's audio from the endpoint.
	ReadFrame(f *hal.Frame)
	// WriteFrame gives the endpoint audio to play at its next tick.
	WriteFrame(f *hal.Frame)
	// SendDigit plays or signals a DTMF digit towards the endpoint.
	SendDigit(d byte)
}

// Frontend is a set of endpoints paced by an audio bus: the FXS ports of a board.
type Frontend interface {
	// Receive exchanges one frame with the hardware and handles what came in
	// (line events, digits, timers). It returns the time at the frame's end.
	Receive() (time.Time, error)
	// Send prepares every endpoint's next frame.
	Send()
}
