package fxs

import (
	"testing"
	"time"
)

type edgeAt struct {
	ms     int
	closed bool
}

type want struct {
	ev HookEvent
	n  int
}

// run feeds edges and polls every millisecond up to end, collecting events.
func run(t *testing.T, ht hookTimes, dialing bool, edges []edgeAt, end int) []want {
	t.Helper()
	t0 := time.Unix(0, 0)
	h := &hook{t: ht}
	var got []want
	add := func(ev HookEvent, n int) {
		if ev != NoHook {
			got = append(got, want{ev, n})
		}
	}
	for ms := 0; ms <= end; ms++ {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		for len(edges) > 0 && edges[0].ms == ms {
			add(h.edge(edges[0].closed, now, dialing))
			edges = edges[1:]
		}
		add(h.poll(now))
		add(h.poll(now))
	}
	return got
}

// pulses builds a rotary digit: n breaks of brk ms with mk ms makes, from start.
func pulses(start, n, brk, mk int) ([]edgeAt, int) {
	var e []edgeAt
	t := start
	for range n {
		e = append(e, edgeAt{t, false}, edgeAt{t + brk, true})
		t += brk + mk
	}
	return e, t
}

func TestHookClassify(t *testing.T) {
	us := timesFor("us").hook
	uk := timesFor("uk").hook
	lift := []edgeAt{{0, true}}
	for _, c := range []struct {
		name    string
		ht      hookTimes
		dialing bool
		edges   []edgeAt
		end     int
		want    []want
	}{
		{"lift", us, true, lift, 100, []want{{Lifted, 0}}},
		{"hang up us", us, true, append(lift, edgeAt{100, false}), 2000, []want{{Lifted, 0}, {HungUp, 0}}},
		{"flash us 600ms", us, false, append(lift, edgeAt{100, false}, edgeAt{700, true}), 2000, []want{{Lifted, 0}, {Flash, 0}}},
		{"uk recall 100ms is a flash", uk, true, append(lift, edgeAt{500, false}, edgeAt{600, true}), 2000, []want{{Lifted, 0}, {Flash, 0}}},
		{"uk recall in call", uk, false, append(lift, edgeAt{500, false}, edgeAt{600, true}), 2000, []want{{Lifted, 0}, {Flash, 0}}},
		{"uk 66ms break is digit 1", uk, true, append(lift, edgeAt{500, false}, edgeAt{566, true}), 2000, []want{{Lifted, 0}, {Digit, 1}}},
		{"pulse break ignored in call", us, false, append(lift, edgeAt{500, false}, edgeAt{560, true}), 2000, []want{{Lifted, 0}}},
		{"bounce ignored", us, true, append(lift, edgeAt{500, false}, edgeAt{505, true}), 2000, []want{{Lifted, 0}}},
		{"uk hang up", uk, true, append(lift, edgeAt{500, false}), 2000, []want{{Lifted, 0}, {HungUp, 0}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, c.ht, c.dialing, c.edges, c.end)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestPulseDigits(t *testing.T) {
	for _, country := range []string{"us", "uk", "de"} {
		ht := timesFor(country).hook
		for _, timing := range []struct{ brk, mk int }{{60, 40}, {66, 34}, {55, 45}, {70, 50}} {
			edges := []edgeAt{{0, true}}
			at := 300
			var wantDigits []want
			for _, d := range []int{1, 0, 9, 5} {
				n := d
				if n == 0 {
					n = 10
				}
				e, end := pulses(at, n, timing.brk, timing.mk)
				edges = append(edges, e...)
				at = end + 700
				wantDigits = append(wantDigits, want{Digit, n})
			}
			got := run(t, ht, true, edges, at+500)
			w := append([]want{{Lifted, 0}}, wantDigits...)
			if len(got) != len(w) {
				t.Fatalf("%s %v: got %v, want %v", country, timing, got, w)
			}
			for i := range got {
				if got[i] != w[i] {
					t.Fatalf("%s %v: got %v, want %v", country, timing, got, w)
				}
			}
		}
	}
}
