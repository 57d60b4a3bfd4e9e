package core_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
)

// clock is a frontend with no endpoints: it only advances time.
type clock struct{ t time.Time }

func (c *clock) Receive() (time.Time, error) { c.t = c.t.Add(hal.FrameDuration); return c.t, nil }
func (c *clock) Send()                       {}

// endpoint is a channel that does what the test tells it.
type endpoint struct {
	name string
	call *core.Call
}

func (p *endpoint) Name() string                           { return p.name }
func (p *endpoint) Offer(c *core.Call, _ core.Party) error { p.call = c; return nil }
func (p *endpoint) Indicate(*core.Call, core.Indication)   {}
func (p *endpoint) Hangup(*core.Call, core.Cause)          { p.call = nil }
func (p *endpoint) ReadFrame(f *hal.Frame)                 { *f = hal.Frame{} }
func (p *endpoint) WriteFrame(*hal.Frame)                  {}
func (p *endpoint) SendDigit(byte)                         {}
func (p *endpoint) Transferred(from, to *core.Call) {
	if p.call == from {
		p.call = to
	}
}

type router map[string]core.Channel

func (r router) Route(e dialplan.Entry) (core.Channel, error) {
	if ch, ok := r[e.Target]; ok {
		return ch, nil
	}
	return nil, core.ErrNoRoute
}

type report struct {
	ext string
	ds  []core.Dialog
}

func TestObserveDialogs(t *testing.T) {
	a, b := &endpoint{name: "fxs/1"}, &endpoint{name: "sip/200"}
	plan, err := dialplan.New([]dialplan.Entry{
		{Pattern: "100", Kind: dialplan.Extension, Target: "100"},
		{Pattern: "200", Kind: dialplan.Extension, Target: "200"},
	})
	if err != nil {
		t.Fatal(err)
	}
	eng := core.New(slog.New(slog.DiscardHandler), &clock{}, plan, router{"100": a, "200": b})
	exts := map[core.Channel]string{a: "100", b: "200"}
	var got []report
	eng.Observe(func(ch core.Channel) string { return exts[ch] }, func(ext string, ds []core.Dialog) {
		got = append(got, report{ext, ds})
	})
	step := func() {
		t.Helper()
		if err := eng.Step(); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if len(got) != 0 {
		t.Fatalf("reports with no calls: %+v", got)
	}

	c := eng.Dial(a, core.Party{Number: "100", Name: "Alice"}, "200")
	step()
	step() // nothing changed: no second report
	want := []report{
		{"100", []core.Dialog{{CallID: c.ID, State: core.DialogEarly, Initiator: true, Remote: core.Party{Number: "200"}}}},
		{"200", []core.Dialog{{CallID: c.ID, State: core.DialogEarly, Remote: core.Party{Number: "100", Name: "Alice"}}}},
	}
	check(t, "ringing", got, want)

	got = nil
	c.Answer(b)
	step()
	want[0].ds[0].State, want[1].ds[0].State = core.DialogConfirmed, core.DialogConfirmed
	check(t, "answered", got, want)

	got = nil
	c.Hangup(a)
	step()
	check(t, "hung up", got, []report{{"100", nil}, {"200", nil}})
}

// check compares reports regardless of their order (the observer walks a map).
func check(t *testing.T, what string, got, want []report) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d reports %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g.ext != w.ext {
				continue
			}
			found = true
			if len(g.ds) != len(w.ds) {
				t.Errorf("%s: ext %s: %+v, want %+v", what, w.ext, g.ds, w.ds)
				continue
			}
			for i := range w.ds {
				if g.ds[i] != w.ds[i] {
					t.Errorf("%s: ext %s: %+v, want %+v", what, w.ext, g.ds[i], w.ds[i])
				}
			}
		}
		if !found {
			t.Errorf("%s: no report for %s", what, w.ext)
		}
	}
}

// TestObserveIdleAllocs: the per-frame check allocates nothing while calls stand still.
func TestObserveIdleAllocs(t *testing.T) {
	a, b := &endpoint{name: "a"}, &endpoint{name: "b"}
	plan, _ := dialplan.New([]dialplan.Entry{{Pattern: "200", Kind: dialplan.Extension, Target: "200"}})
	eng := core.New(slog.New(slog.DiscardHandler), &clock{}, plan, router{"200": b})
	eng.Observe(func(ch core.Channel) string { return ch.Name() }, func(string, []core.Dialog) {})
	c := eng.Dial(a, core.Party{Number: "100"}, "200")
	c.Answer(b)
	_ = eng.Step()
	if n := testing.AllocsPerRun(1000, func() { _ = eng.Step() }); n != 0 {
		t.Fatalf("Step with an observer and a standing call: %v allocs, want 0", n)
	}
}
