package core

import (
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/tone"
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

	eng    *Engine
	fa, fb hal.Frame // frame buffers for the bridge
	// bridged: audio flows both ways (answered and nobody holding, or early media).
	bridged bool
	holds   [2]bool // A, B put the call on hold
	// early: the called party sends progress audio before answering.
	early bool
	// inband: the caller is already talking (a transfer moved it here), so
	// the engine plays it ringback while B alerts.
	inband bool
	music  tone.Player // hold music for a held party, or inband ringback

	report  TransferReport // the transferor listening to this call's progress
	joined  []uint64       // calls a transfer merged into this one
	movedTo uint64         // the call this one's parties moved to
	legs    [2]Leg         // the record of each side, taken at the end

	outcome TransferState // what a failure reports to the transferor (busy, no answer…)
	// recallTo is the transferor's number: when the target of a transfer
	// refuses or does not answer, the caller is offered to it (recall).
	recallTo string
	deadline time.Time // a transfer's or recall's target must answer by then
}

// Other returns the party across the call from ch.
func (c *Call) Other(ch Channel) Channel {
	if ch == c.A {
		return c.B
	}
	return c.A
}

// side is 0 for A, 1 for B, -1 for neither.
func (c *Call) side(ch Channel) int {
	switch {
	case ch == nil:
		return -1
	case ch == c.A:
		return 0
	case ch == c.B:
		return 1
	}
	return -1
}

// Ringing reports that the called party is alerting.
func (c *Call) Ringing(ch Channel) {
	if c.State == Alerting && ch == c.B {
		c.A.Indicate(c, Ringing)
		c.tell(TransferRinging)
	}
}

// Progress reports that the called party sends progress audio (early
// media) before it answers: the audio is bridged from now on.
func (c *Call) Progress(ch Channel) {
	if c.State != Alerting || ch != c.B || c.early {
		return
	}
	c.early = true
	c.settle()
	c.A.Indicate(c, Progress)
}

// Answer reports that the called party answered: the call is bridged.
func (c *Call) Answer(ch Channel) {
	if c.State != Alerting || ch != c.B {
		return
	}
	c.State = Connected
	c.Answered = c.eng.now
	c.early, c.inband = false, false
	c.settle()
	c.A.Indicate(c, Answered)
	c.tell(TransferAnswered)
	c.report = nil
	c.eng.log.Info("call answered", "call", c.ID, "from", c.A.Name(), "to", c.B.Name())
}

// Hold stops the audio of a connected call; the other party is told and
// hears hold music.
func (c *Call) Hold(ch Channel) {
	i := c.side(ch)
	if c.State != Connected || i < 0 || c.holds[i] {
		return
	}
	c.holds[i] = true
	c.settle()
	if o := c.Other(ch); o != nil {
		o.Indicate(c, Held)
	}
}

// Resume restarts the audio of a call ch put on hold.
func (c *Call) Resume(ch Channel) {
	i := c.side(ch)
	if c.State != Connected || i < 0 || !c.holds[i] {
		return
	}
	c.holds[i] = false
	c.settle()
	if o := c.Other(ch); o != nil {
		o.Indicate(c, Resumed)
	}
}

// OnHold reports whether the call is on hold.
func (c *Call) OnHold() bool { return c.holds[0] || c.holds[1] }

// HeldBy reports whether ch put the call on hold.
func (c *Call) HeldBy(ch Channel) bool {
	i := c.side(ch)
	return i >= 0 && c.holds[i]
}

// Reject reports that the called party refused the offer (busy).
func (c *Call) Reject(ch Channel, ind Indication) {
	if c.State != Alerting || ch != c.B {
		return
	}
	c.outcome = TransferUnavailable
	if ind == Busy {
		c.outcome = TransferBusy
	}
	c.fail(ind, Rejected)
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
	if c.State == Connected && !c.OnHold() {
		if o := c.Other(ch); o != nil {
			o.SendDigit(d)
		}
	}
}

func (c *Call) end(cause Cause) {
	c.legs = [2]Leg{legOf(c.A), legOf(c.B)}
	c.State = Ended
	c.Cause = cause
	c.Ended = c.eng.now
	c.bridged = false
	c.music.Stop()
	if c.report != nil {
		st := c.outcome
		if st == 0 {
			st = TransferFailed
		}
		c.tell(st)
		c.report = nil
	}
	c.eng.remove(c)
	c.eng.keep(c.Record())
	c.eng.log.Info("call ended", "call", c.ID, "from", c.From.Number, "to", c.To, "cause", cause.String(),
		"talk", c.talk().String())
}

func (c *Call) talk() time.Duration {
	if c.Answered.IsZero() {
		return 0
	}
	return c.Ended.Sub(c.Answered)
}

// settle derives the audio paths from the state: the bridge, hold music for
// a party held by the other, ringback for a caller moved here by a transfer.
func (c *Call) settle() {
	c.bridged = c.State == Connected && !c.OnHold() || c.State == Alerting && c.early
	var want *tone.Spec
	switch {
	case c.State == Connected && c.holds[0] != c.holds[1]:
		want = &c.eng.holdMusic
	case c.State == Alerting && c.inband && !c.early && c.eng.ringback.Name != "":
		want = &c.eng.ringback
	}
	switch {
	case want == nil:
		c.music.Stop()
	case c.music.Playing() != want.Name:
		c.music.Play(*want)
	}
}

// step moves this frame's audio: the bridge, or the engine's own tone to
// the one party that listens.
func (c *Call) step() {
	if c.bridged {
		c.A.ReadFrame(&c.fa)
		c.B.ReadFrame(&c.fb)
		c.B.WriteFrame(&c.fa)
		c.A.WriteFrame(&c.fb)
		return
	}
	// Both parties are read even when nothing is bridged, so a SIP leg's
	// socket and jitter buffer keep draining (a holding phone still sends).
	c.A.ReadFrame(&c.fa)
	if c.B != nil {
		c.B.ReadFrame(&c.fb)
	}
	if c.music.Playing() == "" {
		return
	}
	to := c.A // the caller hearing ringback, or A held by B
	if c.holds[0] {
		to = c.B
	}
	c.music.Fill((*[hal.FrameSamples]int16)(&c.fb))
	to.WriteFrame(&c.fb)
}
