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

// callMark is what the observer remembers of a call to notice a change.
type callMark struct {
	id    uint64
	state CallState
	a, b  Channel
}

// Observer reports, in the engine goroutine, the calls of each extension
// whenever they change.
type Observer struct {
	e    *Engine
	ext  func(Channel) string
	fn   func(ext string, ds []Dialog)
	seen []callMark
	last map[string][]Dialog
}

// Observe calls fn in the engine goroutine with an extension's calls each
// time they change: a call offered, answered or ended, a party replaced.
// ext names the extension a channel belongs to ("" for none: a trunk, an
// app). An empty ds means the extension is idle. fn must not block; it may
// keep ds. Observe must be called before the engine runs.
//
// The calls are compared once per frame, without allocating; the lists are
// only rebuilt when something changed.
func (e *Engine) Observe(ext func(Channel) string, fn func(ext string, ds []Dialog)) *Observer {
	o := &Observer{e: e, ext: ext, fn: fn, last: map[string][]Dialog{}}
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
	o.seen = o.seen[:0]
	now := map[string][]Dialog{}
	for _, c := range o.e.calls {
		o.seen = append(o.seen, callMark{id: c.ID, state: c.State, a: c.A, b: c.B})
		st := DialogEarly
		switch c.State {
		case Connected:
			st = DialogConfirmed
		case Ended:
			continue
		}
		if c.A != nil {
			if x := o.ext(c.A); x != "" {
				now[x] = append(now[x], Dialog{CallID: c.ID, State: st, Initiator: true, Remote: Party{Number: c.To}})
			}
		}
		if c.B != nil {
			if x := o.ext(c.B); x != "" {
				now[x] = append(now[x], Dialog{CallID: c.ID, State: st, Remote: c.From})
			}
		}
	}
	for x, ds := range now {
		if !slices.Equal(ds, o.last[x]) {
			o.fn(x, ds)
		}
	}
	for x := range o.last {
		if _, ok := now[x]; !ok {
			o.fn(x, nil)
		}
	}
	o.last = now
}
