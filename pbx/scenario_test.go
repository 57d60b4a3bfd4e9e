package pbx_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal/sim/measure"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// rig is a PBX on a simulated 4-port board, stepped by the test.
type rig struct {
	t     *testing.T
	b     simBoard
	p     *pbx.PBX
	cfg   *config.Config
	phone [5]*phone.Phone
}

// boards are the simulated boards every scenario runs on: ideal line cards,
// Si3215 models and Si32260 models, each driven by its real driver.
var boards = []string{"sim-ideal-4fxs", "sim-4fxs", "sim-8fxs"}

// eachBoard runs a scenario on every simulated board.
func eachBoard(t *testing.T, f func(t *testing.T, bd string)) {
	for _, b := range boards {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}

// simBoard is what a scenario needs of a simulated board.
type simBoard interface {
	board.Simulated
	Now() time.Time
}

func newRig(t *testing.T, name, country string, tweak ...func(*config.Config)) *rig {
	t.Helper()
	cfg := config.Default()
	cfg.Country = country
	for _, f := range tweak {
		f(cfg)
	}
	hb, err := board.Open(name, board.Options{Country: country})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hb.Close() })
	b := hb.(simBoard)
	p, err := pbx.New(cfg, b, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, b: b, p: p, cfg: cfg}
	for i := 1; i <= 4; i++ {
		r.phone[i] = b.Phone(i)
	}
	return r
}

func (r *rig) run(d time.Duration) {
	r.t.Helper()
	if err := r.p.Advance(d); err != nil {
		r.t.Fatal(err)
	}
}

// until runs frame by frame until cond holds, failing after max.
func (r *rig) until(max time.Duration, what string, cond func() bool) {
	r.t.Helper()
	for waited := time.Duration(0); !cond(); waited += 20 * time.Millisecond {
		if waited > max {
			r.t.Fatalf("%s: not within %v", what, max)
		}
		r.run(20 * time.Millisecond)
	}
}

// connect has port a call port b (extension 99+b in the default configuration), and b answer.
func (r *rig) connect(a, b int) {
	r.t.Helper()
	r.lift(a, "dialtone")
	dial(r.t, r.phone[a], fmt.Sprint(99+b), "dtmf")
	r.until(5*time.Second, fmt.Sprintf("port %d rings", b), func() bool { return r.phone[b].Status().Ringing })
	r.phone[b].OffHook()
	r.run(time.Second)
}

func (r *rig) heard(n int) string { return r.phone[n].Status().Heard }

func (r *rig) waitIdle(n int) {
	r.t.Helper()
	r.until(30*time.Second, fmt.Sprintf("port %d finishes dialling", n), r.phone[n].Idle)
}

// lift takes port n off-hook and checks it hears dial tone that started
// within 100 ms of the hook switch closing.
func (r *rig) lift(n int, want string) {
	r.t.Helper()
	r.phone[n].OffHook()
	r.run(20 * time.Millisecond)
	hc := r.phone[n].HookChanges()
	lifted := hc[len(hc)-1]
	r.until(3*time.Second, fmt.Sprintf("port %d recognises %s", n, want), func() bool {
		h := r.phone[n].Tones()
		return len(h) > 0 && string(h[len(h)-1].Tone) == want && !h[len(h)-1].Start.Before(lifted)
	})
	tones := r.phone[n].Tones()
	d := tones[len(tones)-1].Start.Sub(lifted)
	if d > 100*time.Millisecond {
		r.t.Errorf("port %d: %s started %v after off-hook", n, want, d)
	}
	r.t.Logf("port %d: %s started %v after off-hook", n, want, d)
	if h := r.heard(n); h != want {
		r.t.Errorf("port %d hears %q, want %q", n, h, want)
	}
}

func tonePower(s []int16, hz float64) float64 { return measure.TonePower(s, hz) }

func sine(hz float64, d time.Duration, amp float64) []int16 {
	return measure.Sine(hz, int(d.Seconds()*8000), amp)
}

func dial(t *testing.T, p *phone.Phone, digits, method string) {
	t.Helper()
	var err error
	if method == "pulse" {
		err = p.DialPulse(digits)
	} else {
		err = p.DialDTMF(digits)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallBetweenAnalogPhones(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		for _, country := range []string{"us", "uk", "de"} {
			for _, method := range []string{"dtmf", "pulse"} {
				t.Run(country+"/"+method, func(t *testing.T) {
					r := newRig(t, bd, country)
					plan, err := tone.PlanFor(country)
					if err != nil {
						t.Fatal(err)
					}
					r.lift(1, "dialtone")
					dial(t, r.phone[1], "101", method)
					r.until(10*time.Second, "port 2 rings", func() bool { return r.phone[2].Status().Ringing })

					// Two full cadences: the phone measures the ringing it sees.
					var cycle time.Duration
					for _, d := range plan.Ring {
						cycle += d
					}
					r.run(2*cycle + 100*time.Millisecond)
					st := r.phone[2].Status()
					if len(st.Cadence) < len(plan.Ring) {
						t.Fatalf("measured cadence %v, want at least %v", st.Cadence, plan.Ring)
					}
					for i, want := range plan.Ring {
						if d := st.Cadence[i] - want; d < -40*time.Millisecond || d > 40*time.Millisecond {
							t.Errorf("ring cadence %v, want %v", st.Cadence, plan.Ring)
							break
						}
					}
					if st.CallerID == nil || st.CallerID.Number != "100" || st.CallerID.Name != "Alice Analog" {
						t.Errorf("caller ID = %+v, want 100 Alice Analog", st.CallerID)
					} else if st.CallerID.Time != r.b.Now().Format("01-02 15:04") && st.CallerID.Time[:5] != r.b.Now().Format("01-02") {
						t.Errorf("caller ID time %q, now %v", st.CallerID.Time, r.b.Now())
					}
					if errs := r.phone[2].CIDErrors(); errs != 0 {
						t.Errorf("%d caller ID messages failed their checksum", errs)
					}
					if h := r.heard(1); h != "ringback" {
						t.Errorf("caller hears %q, want ringback", h)
					}

					r.phone[2].OffHook()
					r.run(300 * time.Millisecond)
					if r.phone[2].Status().Ringing {
						t.Error("port 2 still ringing after answer")
					}
					// Ringback stops: silence outlasts any ringback cadence's off time.
					r.until(5*time.Second, "caller hears silence after the answer", func() bool { return r.heard(1) == "silence" })

					// A tone each way.
					r.phone[1].Play(sine(1000, time.Second, 8000))
					r.run(800 * time.Millisecond)
					if pw := tonePower(r.phone[2].Recording(600*time.Millisecond), 1000); pw < 0.9 {
						t.Errorf("1 kHz from port 1 reaches port 2 with relative power %.2f", pw)
					}
					r.run(400 * time.Millisecond)
					r.phone[2].Play(sine(600, time.Second, 8000))
					r.run(800 * time.Millisecond)
					if pw := tonePower(r.phone[1].Recording(600*time.Millisecond), 600); pw < 0.9 {
						t.Errorf("600 Hz from port 2 reaches port 1 with relative power %.2f", pw)
					}
					if h := r.heard(1); h != "voice" && h != "silence" {
						t.Errorf("port 1 hears %q in the call", h)
					}

					// The caller hangs up: the called party hears busy, then both are idle.
					r.phone[1].OnHook()
					r.until(3*time.Second, "port 2 hears busy", func() bool { return r.heard(2) == "busy" })
					r.phone[2].OnHook()
					r.run(2 * time.Second)
					if n := len(r.p.Engine.Calls()); n != 0 {
						t.Errorf("%d calls left", n)
					}
					for _, port := range r.p.Ports.Ports()[:2] {
						if port.State() != "idle" {
							t.Errorf("%s is %s", port.Name(), port.State())
						}
					}
				})
			}
		}
	})
}

func TestCalledPartyHangsUp(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		r := newRig(t, bd, "us")
		r.connect(1, 2)
		r.phone[2].OnHook()
		r.until(3*time.Second, "port 1 hears busy", func() bool { return r.heard(1) == "busy" })
		r.phone[1].OnHook()
		r.run(2 * time.Second)
		if n := len(r.p.Engine.Calls()); n != 0 {
			t.Errorf("%d calls left", n)
		}
	})
}

func TestBusyAndCongestion(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		for _, country := range []string{"us", "uk", "de"} {
			t.Run(country, func(t *testing.T) {
				r := newRig(t, bd, country)
				r.connect(1, 2)

				// Port 3 calls extension 100, already in a call: call waiting.
				r.lift(3, "dialtone")
				dial(t, r.phone[3], "100", "dtmf")
				r.until(5*time.Second, "port 3 hears ringback", func() bool { return r.heard(3) == "ringback" })
				r.until(5*time.Second, "port 1 hears call waiting", func() bool { return r.heard(1) == "callwaiting" })

				// Port 4 calls 100 too: one call waiting is all a line takes.
				r.lift(4, "dialtone")
				dial(t, r.phone[4], "100", "dtmf")
				r.until(5*time.Second, "port 4 hears busy", func() bool { return r.heard(4) == "busy" })
				r.phone[4].OnHook()
				r.phone[3].OnHook()
				r.run(2 * time.Second)

				// Port 4 dials a number that cannot exist.
				r.lift(4, "dialtone")
				dial(t, r.phone[4], "199", "dtmf")
				r.until(5*time.Second, "port 4 hears congestion", func() bool { return r.heard(4) == "congestion" })

				// Port 3 calls itself.
				r.phone[4].OnHook()
				r.lift(3, "dialtone")
				dial(t, r.phone[3], "102", "dtmf")
				r.until(5*time.Second, "port 3 hears busy calling itself", func() bool { return r.heard(3) == "busy" })
			})
		}
	})
}

func TestHowler(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		r := newRig(t, bd, "us")
		r.lift(1, "dialtone")
		r.until(20*time.Second, "congestion after the first-digit timeout", func() bool { return r.heard(1) == "congestion" })
		r.until(40*time.Second, "howler", func() bool { return r.heard(1) == "howler" })
		r.phone[1].OnHook()
		r.run(2 * time.Second)
		r.lift(1, "dialtone")
	})
}

// A lamp change that arrives while the previous one is still being sent is
// sent when that transmission ends.
func TestMWIChangeDuringTransmission(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		r := newRig(t, bd, "us")
		port := r.p.Ports.Port(2)
		r.p.Engine.Post(func() { port.SetMWI(true) })
		r.run(200 * time.Millisecond)
		r.p.Engine.Post(func() { port.SetMWI(false) })
		r.run(100 * time.Millisecond)
		r.p.Engine.Post(func() { port.SetMWI(true) })
		r.until(5*time.Second, "lamp on", func() bool { return r.phone[2].Status().Lamp })
		r.p.Engine.Post(func() { port.SetMWI(false) })
		r.run(300 * time.Millisecond)
		r.until(5*time.Second, "lamp off", func() bool { return !r.phone[2].Status().Lamp })
	})
}

func TestMessageWaiting(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		for _, country := range []string{"us", "uk", "de"} {
			t.Run(country, func(t *testing.T) {
				r := newRig(t, bd, country)
				port := r.p.Ports.Port(2)
				r.p.Engine.Post(func() { port.SetMWI(true) })
				r.until(3*time.Second, "lamp on", func() bool { return r.phone[2].Status().Lamp })
				r.lift(2, "stutter")
				r.phone[2].OnHook()
				r.run(2 * time.Second)
				r.p.Engine.Post(func() { port.SetMWI(false) })
				r.until(3*time.Second, "lamp off", func() bool { return !r.phone[2].Status().Lamp })
				r.lift(2, "dialtone")
				if r.phone[1].Status().Lamp {
					t.Error("port 1's lamp lit too")
				}
			})
		}
	})
}

// A UK/EU timed-break recall in a call is a flash: not a hang-up, not digit 1.
func TestRecallIsNotDigitOrHangup(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		for _, country := range []string{"uk", "de"} {
			t.Run(country, func(t *testing.T) {
				r := newRig(t, bd, country)
				r.lift(1, "dialtone")
				if err := r.phone[1].Flash(100 * time.Millisecond); err != nil {
					t.Fatal(err)
				}
				r.run(500 * time.Millisecond)
				dial(t, r.phone[1], "101", "pulse")
				r.until(10*time.Second, "port 2 rings after a recall then 101", func() bool { return r.phone[2].Status().Ringing })
				r.phone[2].OffHook()
				r.run(time.Second)
				if err := r.phone[1].Flash(100 * time.Millisecond); err != nil {
					t.Fatal(err)
				}
				r.run(2 * time.Second)
				if n := len(r.p.Engine.Calls()); n != 1 {
					t.Fatalf("%d calls after a recall, want the call to go on", n)
				}
				// The recall holds the call and gives dial tone for a
				// consultation call; a second recall returns to the call.
				if h := r.heard(1); h != "dialtone" && h != "dialrecall" {
					t.Errorf("port 1 hears %q after a recall, want (recall) dial tone", h)
				}
				if err := r.phone[1].Flash(100 * time.Millisecond); err != nil {
					t.Fatal(err)
				}
				r.run(time.Second)
				r.phone[2].Play(sine(600, time.Second, 8000))
				r.run(800 * time.Millisecond)
				if pw := tonePower(r.phone[1].Recording(600*time.Millisecond), 600); pw < 0.9 {
					t.Errorf("audio after recall: relative power %.2f", pw)
				}
			})
		}
	})
}

func TestCallerGivesUp(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		r := newRig(t, bd, "us")
		r.lift(1, "dialtone")
		dial(t, r.phone[1], "101", "dtmf")
		r.until(5*time.Second, "port 2 rings", func() bool { return r.phone[2].Status().Ringing })
		r.run(7 * time.Second) // two rings: the phone has measured the cadence
		r.phone[1].OnHook()
		r.until(7*time.Second, "port 2 stops ringing", func() bool { return !r.phone[2].Status().Ringing })
		if n := len(r.p.Engine.Calls()); n != 0 {
			t.Errorf("%d calls left", n)
		}
		// Port 2 is free again: a new call rings it.
		r.lift(3, "dialtone")
		dial(t, r.phone[3], "101", "pulse")
		r.until(10*time.Second, "port 2 rings again", func() bool { return r.phone[2].Status().Ringing })
	})
}

// Call waiting: a second call during a call is announced by the tone,
// answered with a flash, swapped with another flash, and rings back when
// the phone hangs up with a call on hold.
func TestCallWaiting(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		for _, country := range []string{"us", "uk"} {
			t.Run(country, func(t *testing.T) {
				r := newRig(t, bd, country)
				r.connect(1, 2)

				r.lift(3, "dialtone")
				dial(t, r.phone[3], "101", "dtmf")
				r.until(5*time.Second, "port 2 hears call waiting", func() bool { return r.heard(2) == "callwaiting" })
				r.until(5*time.Second, "the second caller hears ringback", func() bool { return r.heard(3) == "ringback" })
				// Off-hook caller ID: the display shows the waiting caller.
				r.until(3*time.Second, "port 2 shows the waiting caller", func() bool {
					c := r.phone[2].Status().CallerID
					return c != nil && c.Number == "102" && c.Name == "Carol Analog"
				})
				if errs := r.phone[2].CIDErrors(); errs != 0 {
					t.Errorf("%d caller ID messages failed their checksum", errs)
				}

				talks := func(a, b int, hz float64) {
					t.Helper()
					r.phone[a].Play(sine(hz, time.Second, 8000))
					r.run(800 * time.Millisecond)
					if pw := tonePower(r.phone[b].Recording(600*time.Millisecond), hz); pw < 0.9 {
						t.Errorf("%v Hz from port %d reaches port %d with relative power %.2f", hz, a, b, pw)
					}
					r.run(400 * time.Millisecond)
				}
				// Flash: port 2 talks to port 3; port 1 is on hold and hears nothing.
				if err := r.phone[2].Flash(0); err != nil {
					t.Fatal(err)
				}
				r.run(time.Second)
				talks(3, 2, 700)
				talks(2, 3, 900)
				if pw := tonePower(r.phone[1].Recording(time.Second), 900); pw > 0.1 {
					t.Errorf("the held party hears the other call (%.2f)", pw)
				}
				// Flash again: back to port 1.
				if err := r.phone[2].Flash(0); err != nil {
					t.Fatal(err)
				}
				r.run(time.Second)
				talks(1, 2, 500)
				// Hang up with port 3 on hold: the phone rings back for it.
				r.phone[2].OnHook()
				r.until(3*time.Second, "port 1 hears busy", func() bool { return r.heard(1) == "busy" })
				r.until(5*time.Second, "port 2 rings back", func() bool { return r.phone[2].Status().Ringing })
				r.phone[2].OffHook()
				r.run(time.Second)
				talks(3, 2, 800)
				if n := len(r.p.Engine.Calls()); n != 1 {
					t.Errorf("%d calls, want 1", n)
				}
			})
		}
	})
}

func TestNoCallWaiting(t *testing.T) {
	eachBoard(t, func(t *testing.T, bd string) {
		off := false
		r := newRig(t, bd, "us", func(c *config.Config) { c.Users[1].CallWaiting = &off })
		r.connect(1, 2)
		r.lift(3, "dialtone")
		dial(t, r.phone[3], "101", "dtmf")
		r.until(5*time.Second, "port 3 hears busy", func() bool { return r.heard(3) == "busy" })
		for _, h := range r.phone[2].Tones() {
			if h.Tone == "callwaiting" {
				t.Error("port 2 heard call waiting with call_waiting: false")
			}
		}
	})
}
