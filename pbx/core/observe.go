package core

import (
	"slices"
	"time"
)

// DialogState is how far an extension's call has got, in the terms of the
// RFC 4235 §3.7.1 dialog state machine that busy-lamp fields show.
type DialogState uint8

// Dialog states an observer reports. An extension with no call is idle.
const (
	DialogEarly     DialogState = iota + 1 // being set up: the called party is alerting
	DialogConfirmed                        // answered
)

var dialogStateNames = [...]string{"", "early", "confirmed"}

func (s DialogState) String() string {
	if int(s) < len(dialogStateNames) {
		return dialogStateNames[s]
	}
	return "dialog?"
}

// Dialog is one call an extension takes part in, as a busy-lamp field sees it.
type Dialog struct {
	CallID    uint64
	State     DialogState
	Initiator bool  // the extension placed the call
	Remote    Party // who is at the other end: the number dialled, or the caller
}

// callMark is what the observer remembers of a call to notice a change,
// with the extensions of its parties, looked up when they last changed.
type callMark struct {
	id         uint64
	state      CallState
	a, b       Channel
	aExt, bExt string
	gen        uint64 // the last tick that saw the call
}

// Observer reports, in the engine goroutine, the calls of each extension
// whenever they change.
type Observer struct {
	e       *Engine
	ext     func(Channel) string
	fn      func(ext string, ds []Dialog)
	seen    []callMark          // the calls' marks in the engine's order
	marks   map[uint64]callMark // the same by call ID
	gen     uint64
	touched []string // extensions whose calls changed this tick
	last    map[string][]Dialog
}

// Observe calls fn in the engine goroutine with an extension's calls each
// time they change: a call offered, answered or ended, a party replaced.
// ext names the extension a channel belongs to ("" for none: a trunk, an
// app). An empty ds means the extension is idle. fn must not block; it may
// keep ds. Observe must be called before the engine runs.
//
// The calls are compared once per frame, without allocating; only the
// lists of the extensions whose calls changed are rebuilt.
func (e *Engine) Observe(ext func(Channel) string, fn func(ext string, ds []Dialog)) *Observer {
	o := &Observer{e: e, ext: ext, fn: fn, marks: map[uint64]callMark{}, last: map[string][]Dialog{}}
	e.OnTick(o.tick)
	return o
}

// Dialogs returns an extension's calls as last reported; call it in the
// engine goroutine (through Engine.Do).
func (o *Observer) Dialogs(ext string) []Dialog { return slices.Clone(o.last[ext]) }

func (o *Observer) changed() bool {
	calls := o.e.calls
	if len(calls) != len(o.seen) {
		return true
	}
	for i, c := range calls {
		m := o.seen[i]
		if m.id != c.ID || m.state != c.State || m.a != c.A || m.b != c.B {
			return true
		}
	}
	return false
}

func (o *Observer) tick(time.Time) {
	if !o.changed() {
		return
	}
	o.gen++
	touched := o.touched[:0]
	o.seen = o.seen[:0]
	for _, c := range o.e.calls {
		m, ok := o.marks[c.ID]
		if !ok || m.state != c.State || m.a != c.A || m.b != c.B {
			if ok {
				touched = append(touched, m.aExt, m.bExt)
			}
			m = callMark{id: c.ID, state: c.State, a: c.A, b: c.B, aExt: o.extOf(c.A), bExt: o.extOf(c.B)}
			touched = append(touched, m.aExt, m.bExt)
		}
		m.gen = o.gen
		o.marks[c.ID] = m
		o.seen = append(o.seen, m)
	}
	for id, m := range o.marks {
		if m.gen != o.gen { // the call is gone
			touched = append(touched, m.aExt, m.bExt)
			delete(o.marks, id)
		}
	}
	slices.Sort(touched)
	o.touched = slices.Compact(touched)
	for _, x := range o.touched {
		if x == "" {
			continue
		}
		ds := o.dialogs(x)
		if slices.Equal(ds, o.last[x]) {
			continue
		}
		if len(ds) == 0 {
			delete(o.last, x)
		} else {
			o.last[x] = ds
		}
		o.fn(x, ds)
	}
}

func (o *Observer) extOf(ch Channel) string {
	if ch == nil {
		return ""
	}
	return o.ext(ch)
}

// dialogs lists extension x's calls, in the engine's order.
func (o *Observer) dialogs(x string) []Dialog {
	var ds []Dialog
	for i, c := range o.e.calls {
		m := &o.seen[i]
		st := DialogEarly
		switch c.State {
		case Connected:
			st = DialogConfirmed
		case Ended:
			continue
		}
		if m.aExt == x {
			ds = append(ds, Dialog{CallID: c.ID, State: st, Initiator: true, Remote: Party{Number: c.To}})
		}
		if m.bExt == x {
			ds = append(ds, Dialog{CallID: c.ID, State: st, Remote: c.From})
		}
	}
	return ds
}
