package core

import (
	"errors"
	"fmt"
	"time"
)

// TransferState is how a transferred call goes, as the transferor learns
// it: a SIP transferor hears it as NOTIFY message/sipfrag (RFC 3515 §2.4.5).
type TransferState uint8

// Transfer progress.
const (
	TransferRinging     TransferState = iota + 1 // the target alerts
	TransferAnswered                             // the target answered: done
	TransferBusy                                 // the target is busy
	TransferUnroutable                           // nobody has that number
	TransferFailed                               // refused, or the transferee left
	TransferUnavailable                          // a known number with nobody to take the call now
	TransferNoAnswer                             // the target did not answer within the recall time
)

var transferNames = [...]string{"", "ringing", "answered", "busy", "unroutable", "failed", "unavailable", "no answer"}

func (s TransferState) String() string {
	if int(s) < len(transferNames) {
		return transferNames[s]
	}
	return "transfer?"
}

// TransferReport receives a transfer's progress in the engine goroutine;
// it must not block. Every state but TransferRinging is final: nothing
// follows it.
type TransferReport func(TransferState)

// DefaultTransferRecall is how long a transferred call alerts at its
// target before the transferee is offered back to the transferor, and how
// long that recall alerts before the transferee is given up. No standard
// sets it; PBXs choose 20 s (NEC SL/DSX "Transfer Recall") to 60 s
// (Panasonic KX-TD: 12 rings of 5 s). 30 s is five rings of the US cadence
// (2 s on, 4 s off).
const DefaultTransferRecall = 30 * time.Second

// WithTransferRecall sets how long a transfer's target may alert before
// the transferee is recalled to the transferor (and how long the recall
// alerts); d <= 0 keeps DefaultTransferRecall.
func WithTransferRecall(d time.Duration) Option {
	return func(e *Engine) { e.transferRecall = max(d, 0) }
}

func (e *Engine) recallAfter() time.Duration {
	if e.transferRecall > 0 {
		return e.transferRecall
	}
	return DefaultTransferRecall
}

// ErrNotTransferable is returned for a transfer the calls' states do not allow.
var ErrNotTransferable = errors.New("core: call cannot be transferred")

func (c *Call) tell(s TransferState) {
	if c.report != nil {
		c.report(s)
	}
}

// partyOf is who ch is in the call: the caller's identity, or the called
// party's own when it tells (Identified), else the number that was dialled.
func (c *Call) partyOf(ch Channel) Party {
	if ch == c.A {
		return c.From
	}
	if id, ok := ch.(Identified); ok {
		if p := id.Self(); p.Number != "" {
			return p
		}
	}
	return Party{Number: c.To}
}

// PartyOf is who ch is in the call: the caller's identity, or the called
// party's own when it tells (Identified), else the number dialled. A SIP
// leg a transfer moved shows its phone the party now across (PartyOf of
// Other).
func (c *Call) PartyOf(ch Channel) Party { return c.partyOf(ch) }

// Transfer hands the party across the call from by to number (blind
// transfer): by leaves c without a hang-up, the other party is offered
// to number as a new call whose caller it is, and hears ringback meanwhile.
// report (may be nil) hears how the new call goes.
func (e *Engine) Transfer(c *Call, by Channel, number string, report TransferReport) (*Call, error) {
	if c == nil || c.State != Connected || c.side(by) < 0 {
		return nil, ErrNotTransferable
	}
	keep := c.Other(by)
	if keep == nil {
		return nil, ErrNotTransferable
	}
	n := e.newCall(keep, c.partyOf(keep), number)
	n.joined = []uint64{c.ID}
	n.report = report
	n.inband = true
	n.recallTo = c.partyOf(by).Number
	n.deadline = e.now.Add(e.recallAfter())
	e.log.Info("blind transfer", "call", c.ID, "by", by.Name(), "party", keep.Name(), "to", number, "new", n.ID)
	c.movedTo = n.ID
	c.end(Transferred)
	keep.Transferred(c, n)
	by.Transferred(c, nil)
	if c.HeldBy(by) {
		keep.Indicate(n, Resumed)
	}
	n.settle()
	e.offer(n)
	return n, nil
}

// Join connects the party across c1 from by1 with the party across c2 from
// by2 (attended transfer, or a semi-attended one when c2 still alerts):
// both calls end for the transferor without a hang-up, and the two remote
// parties continue in one new call. A call still alerting keeps its called
// party as the called party of the new call, so its answer connects it.
// report (may be nil) hears how the new call goes.
func (e *Engine) Join(c1 *Call, by1 Channel, c2 *Call, by2 Channel, report TransferReport) (*Call, error) {
	if c1 == nil || c2 == nil || c1 == c2 || c1.State == Ended || c2.State == Ended ||
		c1.side(by1) < 0 || c2.side(by2) < 0 {
		return nil, ErrNotTransferable
	}
	k1, k2 := c1.Other(by1), c2.Other(by2)
	if k1 == nil || k2 == nil || k1 == k2 {
		return nil, ErrNotTransferable
	}
	a, ca, b, cb := k1, c1, k2, c2
	if c1.State == Alerting {
		a, ca, b, cb = k2, c2, k1, c1
	}
	if ca.State != Connected || cb.State == Alerting && b != cb.B {
		return nil, fmt.Errorf("%w: %s is not an answered call and a called party", ErrNotTransferable, a.Name())
	}
	n := e.newCall(a, ca.partyOf(a), cb.partyOf(b).Number)
	n.B = b
	n.joined = []uint64{c1.ID, c2.ID}
	n.report = report
	// A kept party that had put its own call on hold keeps it on hold.
	n.holds = [2]bool{ca.HeldBy(a), cb.HeldBy(b)}
	if cb.State == Connected {
		n.State, n.Answered = Connected, e.now
	} else {
		// Semi-attended: the target may still refuse or not answer, and
		// then the transferee is recalled like a blind transfer's.
		n.inband = true
		n.early = cb.early
		n.recallTo = c1.partyOf(by1).Number
		n.deadline = e.now.Add(e.recallAfter())
	}
	e.log.Info("transfer joins calls", "calls", fmt.Sprint(c1.ID, "+", c2.ID), "a", a.Name(), "b", b.Name(), "new", n.ID)
	resumeA, resumeB := ca.OnHold() && !ca.HeldBy(a), cb.OnHold() && !cb.HeldBy(b)
	c1.movedTo, c2.movedTo = n.ID, n.ID
	c1.end(Transferred)
	c2.end(Transferred)
	e.calls = append(e.calls, n)
	a.Transferred(ca, n)
	b.Transferred(cb, n)
	by1.Transferred(c1, nil)
	by2.Transferred(c2, nil)
	n.settle()
	if resumeA {
		a.Indicate(n, Resumed)
	}
	if resumeB {
		b.Indicate(n, Resumed)
	}
	switch {
	case n.State == Connected:
		n.tell(TransferAnswered)
		n.report = nil
	case n.early:
		a.Indicate(n, Progress)
	default:
		a.Indicate(n, Ringing)
		n.tell(TransferRinging)
	}
	return n, nil
}

// Replace puts ch in the place of old in the call (RFC 3891 Replaces: a
// phone takes over another dialog, or picks up a call that alerts at old).
// old leaves without a hang-up; the call continues as a new call, answered
// at once when old was the called party still alerting. The caller makes ch
// a party of the returned call.
func (c *Call) Replace(old, ch Channel) (*Call, error) {
	i := c.side(old)
	if c.State == Ended || i < 0 || ch == nil || c.side(ch) >= 0 || c.State == Alerting && i == 0 {
		return nil, ErrNotTransferable
	}
	e := c.eng
	other := c.Other(old)
	n := e.newCall(c.A, c.From, c.To)
	n.B = c.B
	if i == 0 {
		n.A = ch
	} else {
		n.B = ch
	}
	n.joined = []uint64{c.ID}
	n.holds = c.holds
	n.holds[i] = false
	n.State, n.Answered = Connected, c.Answered
	if c.State == Alerting {
		n.Answered = e.now
	}
	resume := c.HeldBy(old) && !c.HeldBy(other)
	wasAlerting := c.State == Alerting
	if wasAlerting {
		c.outcome = TransferAnswered // a transferred call picked up elsewhere is answered all the same
	}
	e.log.Info("call replaced", "call", c.ID, "old", old.Name(), "new", ch.Name(), "id", n.ID)
	c.movedTo = n.ID
	c.end(Transferred)
	e.calls = append(e.calls, n)
	old.Transferred(c, nil)
	other.Transferred(c, n)
	n.settle()
	switch {
	case wasAlerting: // picked up: the caller is connected
		other.Indicate(n, Answered)
	case resume:
		other.Indicate(n, Resumed)
	}
	return n, nil
}

// fail ends an alerting call that its called party refused or could not
// take. A transfer's call offers the transferee back to the transferor
// instead (recall); any other caller is told ind.
func (c *Call) fail(ind Indication, cause Cause) {
	if c.recallTo != "" && c.A != nil {
		c.eng.recall(c, cause)
		return
	}
	c.A.Indicate(c, ind)
	c.end(cause)
}

// recall ends the failed transfer call c (its transferor hears why) and
// offers its caller, the transferee, to the transferor's number as a new
// call presenting the transferee's identity. The transferee hears ringback
// meanwhile; if the recall fails or is not answered in time, it is told
// busy or congestion and its call ends.
func (e *Engine) recall(c *Call, cause Cause) {
	keep := c.A
	r := e.newCall(keep, c.From, c.recallTo)
	r.joined = []uint64{c.ID}
	r.inband = true
	r.deadline = e.now.Add(e.recallAfter())
	e.log.Info("transfer failed, recalling the transferor", "call", c.ID, "party", keep.Name(),
		"target", c.To, "why", c.outcome.String(), "transferor", c.recallTo, "new", r.ID)
	c.movedTo = r.ID
	c.end(cause)
	keep.Transferred(c, r)
	r.settle()
	e.offer(r)
}

// expireTransfers gives up on the transfers and recalls whose target did
// not answer in time: the target stops alerting (a CANCEL, ringing stops)
// and the call fails as if refused. A call that ends changes the list, so
// the scan starts again; nothing is allocated when none is due.
func (e *Engine) expireTransfers() {
	for i := 0; i < len(e.calls); i++ {
		c := e.calls[i]
		if c.State != Alerting || c.deadline.IsZero() || e.now.Before(c.deadline) {
			continue
		}
		c.deadline = time.Time{}
		c.outcome = TransferNoAnswer
		e.log.Info("transfer not answered", "call", c.ID, "to", c.To)
		if c.B != nil {
			c.B.Hangup(c, Cancelled)
		}
		c.fail(Congestion, Cancelled)
		i = -1
	}
}
