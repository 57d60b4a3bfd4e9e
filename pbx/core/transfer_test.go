package core_test

import (
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// fake is a channel that sends a constant frame (its level) and records
// what the engine tells it and writes to it.
type fake struct {
	name    string
	level   int16
	busy    bool
	call    *core.Call
	inds    []core.Indication
	hungup  []core.Cause
	left    []*core.Call // calls it was taken out of without a hang-up
	heard   hal.Frame    // the last frame written to it
	writes  int
	media   *core.MediaStats
	offered []core.Party
}

func (f *fake) Name() string { return f.name }
func (f *fake) Offer(c *core.Call, from core.Party) error {
	if f.busy {
		return core.ErrBusy
	}
	f.call = c
	f.offered = append(f.offered, from)
	return nil
}
func (f *fake) Indicate(_ *core.Call, ind core.Indication) { f.inds = append(f.inds, ind) }
func (f *fake) Hangup(_ *core.Call, cause core.Cause) {
	f.call = nil
	f.hungup = append(f.hungup, cause)
}
func (f *fake) ReadFrame(fr *hal.Frame) {
	for i := range fr {
		fr[i] = f.level
	}
}
func (f *fake) WriteFrame(fr *hal.Frame) { f.heard = *fr; f.writes++ }
func (f *fake) SendDigit(byte)           {}
func (f *fake) Transferred(from, to *core.Call) {
	if f.call == from {
		f.call = to
	}
	if to == nil {
		f.left = append(f.left, from)
	}
}
func (f *fake) MediaStats() (core.MediaStats, bool) {
	if f.media == nil {
		return core.MediaStats{}, false
	}
	return *f.media, true
}

// last is the last indication f got.
func (f *fake) last() core.Indication {
	if len(f.inds) == 0 {
		return 0
	}
	return f.inds[len(f.inds)-1]
}

// hears reports whether the last frame written to f was all level v.
func (f *fake) hears(v int16) bool {
	for _, s := range f.heard {
		if s != v {
			return false
		}
	}
	return f.writes > 0
}

func (f *fake) silentOrMusic() bool { return f.heard != hal.Frame{} }

type fakeRouter map[string]core.Channel

func (r fakeRouter) Route(e dialplan.Entry) (core.Channel, error) {
	if ch, ok := r[e.Target]; ok {
		return ch, nil
	}
	return nil, core.ErrNoRoute
}

type world struct {
	t          *testing.T
	eng        *core.Engine
	a, b, c, d *fake
	reports    []core.TransferState
}

func newWorld(t *testing.T, opts ...core.Option) *world {
	t.Helper()
	w := &world{t: t, a: &fake{name: "a", level: 1000}, b: &fake{name: "b", level: 2000},
		c: &fake{name: "c", level: 3000}, d: &fake{name: "d", level: 4000}}
	var entries []dialplan.Entry
	for _, n := range []string{"100", "200", "300", "400"} {
		entries = append(entries, dialplan.Entry{Pattern: n, Kind: dialplan.Extension, Target: n})
	}
	plan, err := dialplan.New(entries)
	if err != nil {
		t.Fatal(err)
	}
	w.eng = core.New(slog.New(slog.DiscardHandler), &clock{}, plan,
		fakeRouter{"100": w.a, "200": w.b, "300": w.c, "400": w.d}, opts...)
	return w
}

func (w *world) step(n int) {
	w.t.Helper()
	for range n {
		if err := w.eng.Step(); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) report(s core.TransferState) { w.reports = append(w.reports, s) }

// connect has x call number and the called party answer.
func (w *world) connect(x *fake, who core.Party, number string, callee *fake) *core.Call {
	w.t.Helper()
	c := w.eng.Dial(x, who, number)
	x.call = c
	c.Ringing(callee)
	c.Answer(callee)
	if c.State != core.Connected {
		w.t.Fatalf("call to %s: %v", number, c.State)
	}
	return c
}

func TestBlindTransfer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		to      string
		busyC   bool
		answer  bool
		reports []core.TransferState
		aLast   core.Indication
	}{
		{"answered", "300", false, true, []core.TransferState{core.TransferRinging, core.TransferAnswered}, core.Answered},
		{"busy", "300", true, false, []core.TransferState{core.TransferBusy}, core.Busy},
		{"unknown number", "999", false, false, []core.TransferState{core.TransferUnroutable}, core.Congestion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, core.WithTones(mustPlan(t)))
			w.c.busy = tc.busyC
			c1 := w.connect(w.a, core.Party{Number: "100", Name: "Alice"}, "200", w.b)
			n, err := w.eng.Transfer(c1, w.b, tc.to, w.report)
			if err != nil {
				t.Fatal(err)
			}
			if c1.State != core.Ended || c1.Cause != core.Transferred {
				t.Errorf("old call %v %v, want ended by transfer", c1.State, c1.Cause)
			}
			if len(w.b.left) != 1 || len(w.b.hungup) != 0 || len(w.a.hungup) != 0 {
				t.Errorf("transferor left %v hung up %v; transferee hung up %v", w.b.left, w.b.hungup, w.a.hungup)
			}
			if tc.answer {
				if w.a.call != n || w.c.call != n || !slices.Equal(w.c.offered, []core.Party{{Number: "100", Name: "Alice"}}) {
					t.Fatalf("a in %v, c in %v offered %v; want both in the new call, caller Alice", w.a.call, w.c.call, w.c.offered)
				}
				n.Ringing(w.c)
				w.step(1)
				if !w.a.silentOrMusic() {
					t.Error("the transferee hears silence while the target rings, want ringback")
				}
				n.Answer(w.c)
				w.step(1)
				if !w.a.hears(3000) || !w.c.hears(1000) {
					t.Error("transferee and target are not bridged")
				}
				if got := n.Record().Joined; !slices.Equal(got, []uint64{c1.ID}) {
					t.Errorf("joined %v", got)
				}
			}
			if !slices.Equal(w.reports, tc.reports) {
				t.Errorf("reports %v, want %v", w.reports, tc.reports)
			}
			if w.a.last() != tc.aLast {
				t.Errorf("transferee told %v last, want %v", w.a.inds, tc.aLast)
			}
		})
	}
}

func mustPlan(t *testing.T) *tone.Plan {
	t.Helper()
	p, err := tone.PlanFor("us")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Attended transfer: b holds its call with a, calls c, and joins them.
func TestJoinAttended(t *testing.T) {
	w := newWorld(t)
	c1 := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	c1.Hold(w.b)
	w.step(1)
	if !w.a.silentOrMusic() || w.a.hears(2000) {
		t.Error("the held party does not hear hold music")
	}
	writes := w.b.writes
	c2 := w.connect(w.b, core.Party{Number: "200"}, "300", w.c)
	w.step(1)
	if w.b.writes != writes+1 {
		t.Errorf("the holder got %d frames in one step, want only its other call's", w.b.writes-writes)
	}
	n, err := w.eng.Join(c1, w.b, c2, w.b, w.report)
	if err != nil {
		t.Fatal(err)
	}
	w.step(1)
	if !w.a.hears(3000) || !w.c.hears(1000) {
		t.Error("a and c are not bridged after the join")
	}
	if w.a.last() != core.Resumed {
		t.Errorf("a told %v, want Resumed last", w.a.inds)
	}
	if n.A != core.Channel(w.a) || n.B != core.Channel(w.c) || n.State != core.Connected {
		t.Errorf("new call %s→%s %v", n.A.Name(), n.B.Name(), n.State)
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferAnswered}) {
		t.Errorf("reports %v", w.reports)
	}
	if len(w.b.left) != 2 || len(w.b.hungup) != 0 {
		t.Errorf("transferor left %d calls, hung up %v", len(w.b.left), w.b.hungup)
	}
	recs := w.eng.Recent()
	if len(recs) != 2 || recs[0].Transferred != n.ID || recs[1].Transferred != n.ID {
		t.Errorf("records %+v", recs)
	}
}

// Semi-attended: the consultation call still alerts; the transferee hears
// ringback until the target answers.
func TestJoinSemiAttended(t *testing.T) {
	w := newWorld(t, core.WithTones(mustPlan(t)))
	c1 := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	c1.Hold(w.b)
	c2 := w.eng.Dial(w.b, core.Party{Number: "200"}, "300")
	c2.Ringing(w.c)
	n, err := w.eng.Join(c1, w.b, c2, w.b, w.report)
	if err != nil {
		t.Fatal(err)
	}
	if n.State != core.Alerting || n.B != core.Channel(w.c) || w.a.last() != core.Ringing {
		t.Fatalf("new call %v, b=%v, a told %v", n.State, n.B.Name(), w.a.inds)
	}
	for range 10 { // ringback starts with its tone
		w.step(1)
	}
	if !w.a.silentOrMusic() {
		t.Error("the transferee hears silence, want ringback")
	}
	n.Answer(w.c)
	w.step(1)
	if !w.a.hears(3000) || !w.c.hears(1000) {
		t.Error("not bridged after the answer")
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferRinging, core.TransferAnswered}) {
		t.Errorf("reports %v", w.reports)
	}
}

func TestJoinRefused(t *testing.T) {
	w := newWorld(t)
	c1 := w.eng.Dial(w.a, core.Party{Number: "100"}, "200")
	c2 := w.eng.Dial(w.a, core.Party{Number: "100"}, "300")
	c3 := w.connect(w.d, core.Party{Number: "400"}, "200", w.b)
	for _, tc := range []struct {
		name   string
		c1, c2 *core.Call
		b1, b2 core.Channel
	}{
		{"both alerting", c1, c2, w.a, w.a},
		{"same call", c3, c3, w.d, w.b},
		{"not a party", c3, c1, w.c, w.a},
		{"transferor not answered", c3, c1, w.d, w.b},
	} {
		if _, err := w.eng.Join(tc.c1, tc.b1, tc.c2, tc.b2, nil); !errors.Is(err, core.ErrNotTransferable) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	if _, err := w.eng.Transfer(c1, w.a, "300", nil); !errors.Is(err, core.ErrNotTransferable) {
		t.Errorf("blind transfer of an alerting call: %v", err)
	}
}

// Replace: d takes b's place (RFC 3891); b leaves without a hang-up.
func TestReplace(t *testing.T) {
	w := newWorld(t)
	c := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	n, err := c.Replace(w.b, w.d)
	if err != nil {
		t.Fatal(err)
	}
	w.d.call = n
	w.step(1)
	if !w.a.hears(4000) || !w.d.hears(1000) {
		t.Error("a and d not bridged")
	}
	if len(w.b.left) != 1 || w.a.call != n {
		t.Errorf("b left %v, a in %v", w.b.left, w.a.call)
	}
	// Picking up an alerting call answers it.
	p := w.eng.Dial(w.c, core.Party{Number: "300"}, "200")
	if _, err := p.Replace(w.c, w.d); !errors.Is(err, core.ErrNotTransferable) {
		t.Errorf("the caller of an alerting call replaced: %v", err)
	}
	n2, err := p.Replace(w.b, w.d)
	if err != nil || n2.State != core.Connected || w.c.last() != core.Answered {
		t.Errorf("pickup: %v %v %v", err, n2, w.c.inds)
	}
}

func TestRecordsAndMedia(t *testing.T) {
	w := newWorld(t, core.WithRecent(2))
	w.b.media = &core.MediaStats{Codec: "PCMU", PacketsReceived: 250, MOS: 4.3}
	for i := range 3 {
		c := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
		w.step(i + 1)
		if r := c.Record(); r.B.Media == nil || r.B.Media.PacketsReceived != 250 || r.A.Media != nil {
			t.Fatalf("live record legs %+v %+v", r.A, r.B)
		}
		c.Hangup(w.a)
	}
	recs := w.eng.Recent()
	if len(recs) != 2 || recs[0].ID != 3 || recs[1].ID != 2 {
		t.Fatalf("recent %v, want calls 3 and 2", recs)
	}
	r := recs[0]
	if r.Cause != "normal" || r.Answered.IsZero() || r.Ended.IsZero() || r.B.Channel != "b" || r.B.Media.MOS != 4.3 {
		t.Errorf("record %+v", r)
	}
	w.eng.Dial(w.a, core.Party{Number: "100"}, "999")
	if recs := w.eng.Recent(); recs[0].Cause != "unroutable" || recs[0].B.Channel != "" {
		t.Errorf("unroutable call record %+v", recs[0])
	}
}

func TestHeldStepAllocatesNothing(t *testing.T) {
	w := newWorld(t)
	c := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	c.Hold(w.a)
	if a := testing.AllocsPerRun(200, func() { w.step(1) }); a != 0 {
		t.Errorf("%.1f allocations per frame with a held call", a)
	}
}
