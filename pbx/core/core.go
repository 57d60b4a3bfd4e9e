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
	// Progress: the called party sends in-band progress (early media, RFC
	// 3960) before answering; audio is bridged, and the caller should play it
	// instead of its own ringback.
	Progress
)

var indicationNames = [...]string{"", "ringing", "busy", "congestion", "answered", "held", "resumed", "progress"}

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
	// Transferred: a transfer handed the parties on to another call (see
	// Engine.Transfer, Engine.Join, Call.Replace); nobody hung up.
	Transferred
)

var causeNames = [...]string{"", "normal", "cancelled", "rejected", "unroutable", "failed", "transferred"}

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
	// Transferred tells the channel that a transfer took its call from
	// away without a hang-up. When to is not nil the channel now belongs to
	// call to (it talks to to.Other(ch), or waits for it to be answered)
	// and reports to it from now on; when to is nil the channel has left
	// (it was the transferor, or the party a Replaces took over) and should
	// end its side quietly, as its protocol asks.
	Transferred(from, to *Call)
}

// Identified is a channel that knows whose it is: a transfer that makes
// it the caller of a new call presents this identity.
type Identified interface {
	Self() Party
}

// MediaReporter is a channel with a media stream whose quality the call
// record keeps: a SIP leg's RTP session. Called in the engine goroutine.
type MediaReporter interface {
	MediaStats() (MediaStats, bool)
}

// Frontend is a set of endpoints paced by an audio bus: the FXS ports of a board.
type Frontend interface {
	// Receive exchanges one frame with the hardware and handles what came in
	// (line events, digits, timers). It returns the time at the frame's end.
	Receive() (time.Time, error)
	// Send prepares every endpoint's next frame.
	Send()
}
