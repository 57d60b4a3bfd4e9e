package core_test

import (
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

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
	alice := core.Party{Number: "100", Name: "Alice"}
	for _, tc := range []struct {
		name    string
		to      string
		busyC   bool
		answer  bool
		reports []core.TransferState
	}{
		{"answered", "300", false, true, []core.TransferState{core.TransferRinging, core.TransferAnswered}},
		// A failed transfer rings the transferor back with the transferee.
		{"busy", "300", true, false, []core.TransferState{core.TransferBusy}},
		{"unknown number", "999", false, false, []core.TransferState{core.TransferUnroutable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, core.WithTones(mustPlan(t)))
			w.c.busy = tc.busyC
			c1 := w.connect(w.a, alice, "200", w.b)
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
			callee := w.c
			if !tc.answer && !slices.Equal(w.reports, tc.reports) {
				t.Errorf("reports %v, want %v", w.reports, tc.reports)
			}
			if !tc.answer {
				// Recalled: a new call from the transferee to the transferor.
				if n.State != core.Ended || len(w.eng.Calls()) != 1 {
					t.Fatalf("failed transfer call %v, %d calls", n.State, len(w.eng.Calls()))
				}
				r := w.eng.Calls()[0]
				if r.A != core.Channel(w.a) || r.B != core.Channel(w.b) || r.To != "200" || r.From != alice ||
					w.a.call != r || w.b.call != r || len(w.b.offered) != 2 || w.b.offered[1] != alice {
					t.Fatalf("recall %v→%v to %s from %v; b offered %v", r.A, r.B, r.To, r.From, w.b.offered)
				}
				if got := r.Record().Joined; !slices.Equal(got, []uint64{n.ID}) {
					t.Errorf("recall joined %v", got)
				}
				if slices.Contains(w.a.inds, core.Busy) || slices.Contains(w.a.inds, core.Congestion) {
					t.Errorf("the transferee was told %v", w.a.inds)
				}
				n, callee = r, w.b
			} else if w.a.call != n || w.c.call != n || !slices.Equal(w.c.offered, []core.Party{alice}) {
				t.Fatalf("a in %v, c in %v offered %v; want both in the new call, caller Alice", w.a.call, w.c.call, w.c.offered)
			}
			n.Ringing(callee)
			w.step(10)
			if !w.a.silentOrMusic() {
				t.Error("the transferee hears silence while the target rings, want ringback")
			}
			n.Answer(callee)
			w.step(1)
			if !w.a.hears(callee.level) || !callee.hears(1000) {
				t.Error("transferee and target are not bridged")
			}
			if w.a.last() != core.Answered {
				t.Errorf("transferee told %v last, want answered", w.a.inds)
			}
			if !slices.Equal(w.reports, tc.reports) {
				t.Errorf("reports %v, want %v", w.reports, tc.reports)
			}
		})
	}
}

// A transfer's target that does not answer within the recall time stops
// alerting, and the transferee is offered back to the transferor; when
// nobody answers that either, the transferee hears congestion.
func TestTransferRecallNoAnswer(t *testing.T) {
	const recall = 200 * time.Millisecond // ten frames of the test clock
	w := newWorld(t, core.WithTransferRecall(recall))
	c1 := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	n, err := w.eng.Transfer(c1, w.b, "300", w.report)
	if err != nil {
		t.Fatal(err)
	}
	n.Ringing(w.c)
	w.step(9)
	if n.State != core.Alerting || len(w.c.hungup) != 0 {
		t.Fatalf("gave up early: %v, c hung up %v", n.State, w.c.hungup)
	}
	w.step(1)
	if n.State != core.Ended || !slices.Equal(w.c.hungup, []core.Cause{core.Cancelled}) {
		t.Fatalf("after the recall time: transfer %v, target hung up %v", n.State, w.c.hungup)
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferRinging, core.TransferNoAnswer}) {
		t.Errorf("reports %v", w.reports)
	}
	calls := w.eng.Calls()
	if len(calls) != 1 || calls[0].B != core.Channel(w.b) || w.a.call != calls[0] {
		t.Fatalf("calls %v, want the recall to b", calls)
	}
	r := calls[0]
	w.step(10)
	if r.State != core.Ended || !slices.Equal(w.b.hungup, []core.Cause{core.Cancelled}) || w.a.last() != core.Congestion {
		t.Errorf("unanswered recall: %v, b hung up %v, a told %v", r.State, w.b.hungup, w.a.inds)
	}
	if len(w.eng.Calls()) != 0 {
		t.Errorf("%d calls left", len(w.eng.Calls()))
	}
	recs := w.eng.Recent()
	if len(recs) != 3 || recs[1].ID != n.ID || recs[1].Cause != "cancelled" || recs[1].Transferred != r.ID {
		t.Errorf("records %+v", recs)
	}
}

// The transferor cannot take the recall: the transferee hears why, and
// its call ends.
func TestTransferRecallRefused(t *testing.T) {
	w := newWorld(t)
	c1 := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	w.c.busy = true
	w.b.busy = true
	if _, err := w.eng.Transfer(c1, w.b, "300", w.report); err != nil {
		t.Fatal(err)
	}
	if w.a.last() != core.Busy || len(w.eng.Calls()) != 0 {
		t.Errorf("a told %v, %d calls", w.a.inds, len(w.eng.Calls()))
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferBusy}) {
		t.Errorf("reports %v", w.reports)
	}
}

// Semi-attended: the consultation target, still alerting when the
// transferor hands over, does not answer: the transferee is recalled.
func TestJoinSemiAttendedRecall(t *testing.T) {
	w := newWorld(t, core.WithTransferRecall(100*time.Millisecond))
	c1 := w.connect(w.a, core.Party{Number: "100"}, "200", w.b)
	c1.Hold(w.b)
	c2 := w.eng.Dial(w.b, core.Party{Number: "200"}, "300")
	c2.Ringing(w.c)
	n, err := w.eng.Join(c1, w.b, c2, w.b, w.report)
	if err != nil {
		t.Fatal(err)
	}
	n.Reject(w.c, core.Congestion)
	calls := w.eng.Calls()
	if len(calls) != 1 || calls[0].A != core.Channel(w.a) || calls[0].B != core.Channel(w.b) {
		t.Fatalf("calls %v, want a recalled to b", calls)
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferRinging, core.TransferUnavailable}) {
		t.Errorf("reports %v", w.reports)
	}
}

// Pickup: d answers the call that alerts at c.
func TestPickup(t *testing.T) {
	w := newWorld(t)
	p := w.eng.Dial(w.a, core.Party{Number: "100"}, "300")
	p.Ringing(w.c)
	if got := w.eng.AlertingAt("300"); got != p {
		t.Fatalf("alerting at 300: %v", got)
	}
	if w.eng.AlertingAt("400") != nil || w.eng.CallByID(p.ID) != p || w.eng.CallByID(999) != nil {
		t.Error("lookups")
	}
	if _, err := w.eng.Pickup(p, w.a); !errors.Is(err, core.ErrNotTransferable) {
		t.Errorf("the caller picked up its own call: %v", err)
	}
	n, err := w.eng.Pickup(p, w.d)
	if err != nil {
		t.Fatal(err)
	}
	w.d.call = n
	w.step(1)
	if n.State != core.Connected || n.A != core.Channel(w.a) || n.B != core.Channel(w.d) || w.a.last() != core.Answered {
		t.Fatalf("picked up %v %v→%v, a told %v", n.State, n.A, n.B, w.a.inds)
	}
	if !w.a.hears(4000) || !w.d.hears(1000) || len(w.c.left) != 1 || len(w.c.hungup) != 0 {
		t.Errorf("not bridged, or c not quietly out: left %v hung up %v", w.c.left, w.c.hungup)
	}
	if _, err := w.eng.Pickup(n, w.b); !errors.Is(err, core.ErrNotTransferable) {
		t.Errorf("picked up an answered call: %v", err)
	}
	n.Hangup(w.a)
	// A transfer's call picked up elsewhere is answered for its transferor.
	c1 := w.connect(w.b, core.Party{Number: "200"}, "300", w.c)
	tr, err := w.eng.Transfer(c1, w.c, "400", w.report)
	if err != nil {
		t.Fatal(err)
	}
	tr.Ringing(w.d)
	n2, err := w.eng.Pickup(w.eng.AlertingAt("400"), w.a)
	if err != nil || n2.A != core.Channel(w.b) || n2.B != core.Channel(w.a) {
		t.Fatalf("pickup of a transfer: %v %v", n2, err)
	}
	if !slices.Equal(w.reports, []core.TransferState{core.TransferRinging, core.TransferAnswered}) {
		t.Errorf("transfer reports %v", w.reports)
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
