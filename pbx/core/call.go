package core

import (
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// CallState is where a call is in its life.
type CallState uint8

// Call states.
const (
	Alerting  CallState = iota + 1 // offered to the called party
	Connected                      // answered and bridged
	Ended
)

var stateNames = [...]string{"", "alerting", "connected", "ended"}

func (s CallState) String() string { return stateNames[s] }

// Call joins a caller (A) and a called party (B). Only the engine goroutine
// touches it; channels report what happens through its methods.
type Call struct {
	ID       uint64
	From     Party
	To       string // the number dialled
	A, B     Channel
	State    CallState
	Started  time.Time
	Answered time.Time
	Ended    time.Time
	Cause    Cause

	eng     *Engine
	fa, fb  hal.Frame // frame buffers for the bridge
	bridged bool
	holder  Channel // the party that put the call on hold, or nil
}

// Other returns the party across the call from ch.
func (c *Call) Other(ch Channel) Channel {
	if ch == c.A {
		return c.B
	}
	return c.A
}

// Ringing reports that the called party is alerting.
func (c *Call) Ringing(ch Channel) {
	if c.State == Alerting && ch == c.B {
		c.A.Indicate(c, Ringing)
	}
}

// Answer reports that the called party answered: the call is bridged.
func (c *Call) Answer(ch Channel) {
	if c.State != Alerting || ch != c.B {
		return
	}
	c.State = Connected
	c.Answered = c.eng.now
	c.bridged = true
	c.A.Indicate(c, Answered)
	c.eng.log.Info("call answered", "call", c.ID, "from", c.A.Name(), "to", c.B.Name())
}

// Hold stops the audio of a connected call; the other party is told.
func (c *Call) Hold(ch Channel) {
	if c.State != Connected || c.holder != nil {
		return
	}
	c.holder, c.bridged = ch, false
	if o := c.Other(ch); o != nil {
		o.Indicate(c, Held)
	}
}

// Resume restarts the audio of a call ch put on hold.
func (c *Call) Resume(ch Channel) {
	if c.State != Connected || c.holder != ch {
		return
	}
	c.holder, c.bridged = nil, true
	if o := c.Other(ch); o != nil {
		o.Indicate(c, Resumed)
	}
}

// OnHold reports whether the call is on hold.
func (c *Call) OnHold() bool { return c.holder != nil }

// Reject reports that the called party refused the offer (busy).
func (c *Call) Reject(ch Channel, ind Indication) {
	if c.State != Alerting || ch != c.B {
		return
	}
	c.A.Indicate(c, ind)
	c.end(Rejected)
}

// Hangup reports that ch left the call; the other party is told.
func (c *Call) Hangup(ch Channel) {
	if c.State == Ended {
		return
	}
	cause := Normal
	if c.State == Alerting && ch == c.A {
		cause = Cancelled
	}
	if o := c.Other(ch); o != nil {
		o.Hangup(c, cause)
	}
	c.end(cause)
}

// Digit passes a DTMF digit from ch to the other party.
func (c *Call) Digit(ch Channel, d byte) {
	if c.State == Connected {
		if o := c.Other(ch); o != nil {
			o.SendDigit(d)
		}
	}
}

func (c *Call) end(cause Cause) {
	c.State = Ended
	c.Cause = cause
	c.Ended = c.eng.now
	c.bridged = false
	c.eng.remove(c)
	c.eng.log.Info("call ended", "call", c.ID, "from", c.From.Number, "to", c.To, "cause", cause.String(),
		"talk", c.talk().String())
}

func (c *Call) talk() time.Duration {
	if c.Answered.IsZero() {
		return 0
	}
	return c.Ended.Sub(c.Answered)
}

// bridge moves one frame each way.
func (c *Call) bridge() {
	c.A.ReadFrame(&c.fa)
	c.B.ReadFrame(&c.fb)
	c.B.WriteFrame(&c.fa)
	c.A.WriteFrame(&c.fb)
}
