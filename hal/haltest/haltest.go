package haltest

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/measure"
)

// Controller is the far end of the lines.
type Controller interface {
	// SetHook closes (true) or opens the loop of port n (1-based). It takes
	// effect during the next tick.
	SetHook(n int, offHook bool)
	// Ringing reports whether port n's phone sees ringing voltage now.
	Ringing(n int) bool
	// Reversed reports whether port n's phone sees reversed battery.
	Reversed(n int) bool
	// Say queues audio into port n's mouthpiece (off-hook). Audio
	// reports false when the controller cannot carry audio.
	Say(n int, s []int16)
	// Heard returns the last d of port n's earpiece.
	Heard(n int, d time.Duration) []int16
	// Audio reports whether Say and Heard work.
	Audio() bool
}

// TestBoard runs the conformance suite. It leaves every line on-hook with
// forward feed, and closes the board at the end.
func TestBoard(t *testing.T, b hal.Board, c Controller) {
	lines := b.Lines()
	if len(lines) == 0 {
		t.Fatal("board has no lines")
	}
	h := &harness{t: t, b: b, c: c, tx: make([]hal.Frame, len(lines)), rx: make([]hal.Frame, len(lines))}
	for _, l := range lines {
		if err := l.SetFeed(hal.FeedForward); err != nil {
			t.Fatalf("port %d: SetFeed(forward): %v", l.Port(), err)
		}
	}
	h.run(10)
	h.drainAll()
	t.Run("ports", h.ports)
	t.Run("clock", h.clock)
	t.Run("feeds", h.feeds)
	t.Run("hook", h.hook)
	t.Run("ringtrip", h.ringTrip)
	if c.Audio() {
		t.Run("audio", h.audio)
	}
	t.Run("close", h.close)
}

type harness struct {
	t      *testing.T
	b      hal.Board
	c      Controller
	tx, rx []hal.Frame
	now    time.Time
}

// tick runs one frame and returns its start and end.
func (h *harness) tick(t *testing.T) (start, end time.Time) {
	t.Helper()
	end, err := h.b.Tick(h.tx, h.rx)
	if err != nil {
		t.Fatalf("Tick: %v", err)
	}
	start, h.now = end.Add(-hal.FrameDuration), end
	return start, end
}

func (h *harness) run(n int) {
	for range n {
		h.tick(h.t)
	}
}

func drain(l hal.Line) []hal.Event {
	var out []hal.Event
	for {
		select {
		case e := <-l.Events():
			out = append(out, e)
		default:
			return out
		}
	}
}

func (h *harness) drainAll() {
	for _, l := range h.b.Lines() {
		drain(l)
	}
}

// ports: lines numbered 1..N in order, quiet at rest.
func (h *harness) ports(t *testing.T) {
	for i, l := range h.b.Lines() {
		if l.Port() != i+1 {
			t.Errorf("line %d reports port %d", i, l.Port())
		}
	}
	h.run(25)
	for _, l := range h.b.Lines() {
		if ev := drain(l); len(ev) != 0 {
			t.Errorf("port %d: events at rest: %v", l.Port(), ev)
		}
	}
}

// clock: every tick ends one frame after the last.
func (h *harness) clock(t *testing.T) {
	_, prev := h.tick(t)
	for range 50 {
		_, end := h.tick(t)
		if d := end.Sub(prev); d != hal.FrameDuration {
			t.Fatalf("tick advanced %v", d)
		}
		prev = end
	}
}

// feeds: every feed reads back and reaches the line.
func (h *harness) feeds(t *testing.T) {
	for _, l := range h.b.Lines() {
		for _, f := range []hal.Feed{hal.FeedOHT, hal.FeedReverse, hal.FeedReverseOHT, hal.FeedRinging, hal.FeedOpen, hal.FeedForward} {
			if err := l.SetFeed(f); err != nil {
				t.Fatalf("port %d: SetFeed(%s): %v", l.Port(), f, err)
			}
			if got := l.Feed(); got != f {
				t.Errorf("port %d: Feed() = %s after SetFeed(%s)", l.Port(), got, f)
			}
			h.tick(t)
			if want := f == hal.FeedRinging; h.c.Ringing(l.Port()) != want && want {
				t.Errorf("port %d: phone does not see ringing", l.Port())
			}
			if f == hal.FeedReverse && !h.c.Reversed(l.Port()) {
				t.Errorf("port %d: phone does not see reversed battery", l.Port())
			}
			if f == hal.FeedForward && h.c.Reversed(l.Port()) {
				t.Errorf("port %d: phone still sees reversed battery on forward", l.Port())
			}
		}
		h.run(5)
		if ev := drain(l); len(ev) != 0 {
			t.Errorf("port %d: feed changes on an idle line raised %v", l.Port(), ev)
		}
	}
}

// hook: loop changes arrive as events stamped within the frame they happened
// in, on their own port only.
func (h *harness) hook(t *testing.T) {
	for _, l := range h.b.Lines() {
		for _, off := range []bool{true, false} {
			h.c.SetHook(l.Port(), off)
			start, end := h.tick(t)
			want := hal.OnHook
			if off {
				want = hal.OffHook
			}
			h.expect(t, l, want, start, end)
		}
	}
}

func (h *harness) expect(t *testing.T, l hal.Line, want hal.EventKind, start, end time.Time) {
	t.Helper()
	for _, o := range h.b.Lines() {
		ev := drain(o)
		if o != l {
			if len(ev) != 0 {
				t.Errorf("port %d: events %v while port %d changed", o.Port(), ev, l.Port())
			}
			continue
		}
		if len(ev) != 1 || ev[0].Kind != want {
			t.Errorf("port %d: events %v, want one %s", l.Port(), ev, want)
			continue
		}
		if ev[0].At.Before(start) || ev[0].At.After(end) {
			t.Errorf("port %d: %s stamped %v, outside the frame %v..%v", l.Port(), want, ev[0].At, start, end)
		}
	}
}

// ringTrip: lifting the handset on a ringing line is an off-hook.
func (h *harness) ringTrip(t *testing.T) {
	for _, l := range h.b.Lines() {
		if err := l.SetFeed(hal.FeedRinging); err != nil {
			t.Fatal(err)
		}
		h.run(3)
		h.c.SetHook(l.Port(), true)
		start, end := h.tick(t)
		h.expect(t, l, hal.OffHook, start, end)
		if err := l.SetFeed(hal.FeedForward); err != nil {
			t.Fatal(err)
		}
		h.c.SetHook(l.Port(), false)
		start, end = h.tick(t)
		h.expect(t, l, hal.OnHook, start, end)
	}
}

// audio: each port carries its own audio both ways, nobody else's.
func (h *harness) audio(t *testing.T) {
	lines := h.b.Lines()
	for _, l := range lines {
		h.c.SetHook(l.Port(), true)
	}
	h.run(2)
	h.drainAll()
	const frames = 20
	got := make([][]int16, len(lines))
	for i, l := range lines {
		h.c.Say(l.Port(), measure.Sine(upHz(i), frames*hal.FrameSamples, 6000))
	}
	for f := range frames {
		for i := range lines {
			for k := range h.tx[i] {
				h.tx[i][k] = int16(6000 * math.Sin(2*math.Pi*downHz(i)*float64(f*hal.FrameSamples+k)/hal.SampleRate))
			}
		}
		h.tick(t)
		if f >= 4 {
			for i := range lines {
				got[i] = append(got[i], h.rx[i][:]...)
			}
		}
	}
	for i, l := range lines {
		heard := h.c.Heard(l.Port(), 200*time.Millisecond)
		if p := measure.TonePower(heard, downHz(i)); p < 0.9 {
			t.Errorf("port %d: phone hears its port's audio at relative power %.2f", l.Port(), p)
		}
		if p := measure.TonePower(got[i], upHz(i)); p < 0.9 {
			t.Errorf("port %d: port receives its phone's audio at relative power %.2f", l.Port(), p)
		}
	}
	for i := range h.tx {
		h.tx[i] = hal.Frame{}
	}
	for _, l := range lines {
		h.c.SetHook(l.Port(), false)
	}
	h.run(2)
	h.drainAll()
}

func downHz(i int) float64 { return 500 + 170*float64(i) }
func upHz(i int) float64   { return 1900 - 130*float64(i) }

// close: a closed board ticks no more.
func (h *harness) close(t *testing.T) {
	if err := h.b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := h.b.Tick(h.tx, h.rx); !errors.Is(err, hal.ErrClosed) {
		t.Errorf("Tick after Close: %v, want hal.ErrClosed", err)
	}
}
