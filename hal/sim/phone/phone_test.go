package phone_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
	"github.com/hookswitch/hookswitch/pbx/dtmf"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

type edge struct {
	closed bool
	at     time.Duration
}

// rig is a phone on a wire with an exchange that records loop changes and
// applies forward feed.
type rig struct {
	w     *wire.Wire
	p     *phone.Phone
	now   time.Time
	edges []edge
	up    []hal.Frame
}

func newRig(t *testing.T, o phone.Options) *rig {
	t.Helper()
	r := &rig{w: wire.NewWire(), now: t0}
	r.w.SetFeed(hal.FeedForward)
	r.w.OnLoop(func(closed bool, at time.Time) { r.edges = append(r.edges, edge{closed, at.Sub(t0)}) })
	var err error
	if r.p, err = phone.New(r.w, t0, o); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) run(d time.Duration) {
	for end := r.now.Add(d); r.now.Before(end); r.now = r.now.Add(hal.FrameDuration) {
		r.w.Send(&hal.Frame{})
		r.p.Step(r.now)
		var f hal.Frame
		r.w.Receive(&f)
		r.up = append(r.up, f)
	}
}

func TestPulseTiming(t *testing.T) {
	r := newRig(t, phone.Options{})
	r.p.OffHook()
	r.run(100 * time.Millisecond)
	if err := r.p.DialPulse("30"); err != nil {
		t.Fatal(err)
	}
	r.run(3 * time.Second)
	if !r.p.Idle() {
		t.Fatal("still dialling")
	}
	// Off-hook, then 3 + 10 pulses: 60 ms break, 40 ms make, 700 ms between digits.
	if len(r.edges) != 1+2*13 {
		t.Fatalf("%d loop changes: %v", len(r.edges), r.edges)
	}
	for i := 1; i < len(r.edges); i += 2 {
		brk := r.edges[i+1].at - r.edges[i].at
		if r.edges[i].closed || !r.edges[i+1].closed || brk != 60*time.Millisecond {
			t.Errorf("pulse %d: break %v (%v→%v)", i/2, brk, r.edges[i], r.edges[i+1])
		}
		if i+2 < len(r.edges) {
			make := r.edges[i+2].at - r.edges[i+1].at
			want := 40 * time.Millisecond
			if i/2 == 2 { // after the third pulse: the pause between digits
				want = 700 * time.Millisecond
			}
			if make != want {
				t.Errorf("after pulse %d: make %v, want %v", i/2, make, want)
			}
		}
	}
}

func TestFlash(t *testing.T) {
	for _, c := range []struct {
		country string
		d, want time.Duration
	}{{"us", 0, 600 * time.Millisecond}, {"uk", 0, 100 * time.Millisecond}, {"us", 250 * time.Millisecond, 250 * time.Millisecond}} {
		r := newRig(t, phone.Options{Country: c.country})
		if err := r.p.Flash(c.d); !errors.Is(err, phone.ErrOnHook) {
			t.Errorf("flash on-hook: %v", err)
		}
		r.p.OffHook()
		r.run(100 * time.Millisecond)
		if err := r.p.Flash(c.d); err != nil {
			t.Fatal(err)
		}
		r.run(time.Second)
		if len(r.edges) != 3 || r.edges[2].at-r.edges[1].at != c.want {
			t.Errorf("%s flash %v: edges %v, want a %v break", c.country, c.d, r.edges, c.want)
		}
	}
}

// The phone's DTMF is what a Q.24 detector accepts, digit for digit.
func TestDTMFIsDetected(t *testing.T) {
	r := newRig(t, phone.Options{})
	r.p.OffHook()
	r.run(40 * time.Millisecond)
	const keys = "0123456789*#ABCD"
	if err := r.p.DialDTMF(keys); err != nil {
		t.Fatal(err)
	}
	if err := r.p.DialDTMF("1x"); !errors.Is(err, phone.ErrBadDigit) {
		t.Errorf("bad digit: %v", err)
	}
	r.run(3 * time.Second)
	det := dtmf.NewDetector()
	var got []byte
	for i := range r.up {
		if ev := det.Process((*[160]int16)(&r.up[i])); ev.Kind == dtmf.KeyDown {
			got = append(got, ev.Digit)
		}
	}
	if string(got) != keys {
		t.Errorf("detected %q, want %q", got, keys)
	}
}

func TestOnHookIsSilent(t *testing.T) {
	r := newRig(t, phone.Options{})
	tone := make([]int16, 8000)
	for i := range tone {
		tone[i] = 5000
	}
	r.p.Play(tone)
	r.run(200 * time.Millisecond)
	for _, f := range r.up {
		if f != (hal.Frame{}) {
			t.Fatal("an on-hook phone sent audio")
		}
	}
	if err := r.p.DialDTMF("1"); !errors.Is(err, phone.ErrOnHook) {
		t.Errorf("dial on-hook: %v", err)
	}
}

func TestRingingAndRecording(t *testing.T) {
	r := newRig(t, phone.Options{})
	// Two US rings: 2 s on, 4 s off.
	for range 2 {
		r.w.SetFeed(hal.FeedRinging)
		r.run(2 * time.Second)
		r.w.SetFeed(hal.FeedOHT)
		r.run(4 * time.Second)
	}
	st := r.p.Status()
	if !st.Ringing || len(st.Cadence) < 3 || st.Cadence[0] != 2*time.Second || st.Cadence[1] != 4*time.Second {
		t.Errorf("status %+v", st)
	}
	r.run(6 * time.Second)
	if r.p.Status().Ringing {
		t.Error("still ringing 6 s after the last burst")
	}
	// On-hook transmission reaches the recording.
	var f hal.Frame
	for i := range f {
		f[i] = int16(i)
	}
	r.w.Send(&f)
	r.p.Step(r.now)
	rec := r.p.Recording(20 * time.Millisecond)
	if len(rec) != 160 || rec[159] != 159 {
		t.Errorf("recording %v", rec[150:])
	}
}
