package tone

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/hookswitch/hookswitch/hal"
)

// required lists the tones every plan must have.
var required = []Name{Dial, Stutter, Ringback, Busy, Congestion, CallWaiting, Howler, Confirm, Info}

func TestPlans(t *testing.T) {
	for _, c := range Countries() {
		p, err := PlanFor(c)
		if err != nil {
			t.Fatalf("PlanFor(%q): %v", c, err)
		}
		if p.Country != c {
			t.Errorf("%s: Country = %q", c, p.Country)
		}
		if len(p.Ring) == 0 || len(p.Ring)%2 != 0 {
			t.Errorf("%s: ring cadence %v is not on/off pairs", c, p.Ring)
		}
		if p.RingHz != 20 && p.RingHz != 25 {
			t.Errorf("%s: RingHz = %d", c, p.RingHz)
		}
		for _, n := range required {
			if _, ok := p.Tone(n); !ok {
				t.Errorf("%s: no %s tone", c, n)
			}
		}
		for n, s := range p.Tones {
			if s.Name != n {
				t.Errorf("%s: Tones[%s].Name = %s", c, n, s.Name)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("%s: %v", c, err)
			}
		}
	}
}

func TestPlanForUnknown(t *testing.T) {
	_, err := PlanFor("fr")
	if !errors.Is(err, ErrUnknownCountry) {
		t.Fatalf("err = %v, want ErrUnknownCountry", err)
	}
	if !strings.Contains(err.Error(), "de, uk, us") {
		t.Errorf("error %q does not name the known countries", err)
	}
	if p, err := PlanFor("US"); err != nil || p.Country != "us" {
		t.Errorf("PlanFor(\"US\") = %v, %v", p, err)
	}
	// Plans are fresh: changing one must not change the next.
	a, _ := PlanFor("de")
	a.Tones[Dial].Parts[0].Freqs[0] = 1
	delete(a.Tones, Busy)
	b, _ := PlanFor("de")
	if b.Tones[Dial].Parts[0].Freqs[0] != 425 || len(b.Tones) != len(a.Tones)+1 {
		t.Error("PlanFor shares state between calls")
	}
}

func TestValidateRejects(t *testing.T) {
	ok := Part{Freqs: [4]uint16{425}, Level: [4]int8{-13}, Dur: ms(100)}
	tests := []struct {
		name string
		s    Spec
	}{
		{"no parts", Spec{Name: "x"}},
		{"loop out of range", Spec{Name: "x", Parts: []Part{ok}, Loop: 2}},
		{"once mismatch", Spec{Name: "x", Parts: []Part{ok}, Loop: 1}},
		{"forever not last", Spec{Name: "x", Parts: []Part{{Freqs: [4]uint16{425}}, ok}}},
		{"fractional sample", Spec{Name: "x", Parts: []Part{{Freqs: [4]uint16{425}, Dur: 100}}}},
		{"above nyquist", Spec{Name: "x", Parts: []Part{{Freqs: [4]uint16{4000}, Dur: ms(1)}}}},
		{"clips", Spec{Name: "x", Parts: []Part{{Freqs: [4]uint16{400, 500}, Level: [4]int8{0, 0}, Dur: ms(1)}}}},
		{"endless silence", Spec{Name: "x", Parts: []Part{{Once: true, Freqs: [4]uint16{400}, Dur: ms(1)}, {Once: true}}, Loop: 2}},
	}
	for _, tc := range tests {
		if err := tc.s.Validate(); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%s: Validate = %v, want ErrBadSpec", tc.name, err)
		}
	}
}

// eachTone runs f for every tone of every plan.
func eachTone(t *testing.T, f func(t *testing.T, s Spec)) {
	for _, c := range Countries() {
		p, _ := PlanFor(c)
		for n, s := range p.Tones {
			t.Run(c+"/"+string(n), func(t *testing.T) { f(t, s) })
		}
	}
}

// record plays s for n samples (rounded up to frames).
func record(s Spec, n int) []int16 {
	var p Player
	p.Play(s)
	out := make([]int16, 0, n+hal.FrameSamples)
	var f [hal.FrameSamples]int16
	for len(out) < n {
		p.Fill(&f)
		out = append(out, f[:]...)
	}
	return out
}

// span is how long to record s: its intro plus two loop cycles, or 3 s of
// a part that lasts forever.
func span(s Spec) int {
	n := 0
	for i, p := range s.Parts {
		k := p.Samples()
		if k == 0 {
			k = 3 * hal.SampleRate
		}
		n += k
		if i >= s.Loop {
			n += k
		}
	}
	return n
}

// segment is one part as the oracle lays it out in absolute samples.
type segment struct {
	start, end int // [start, end); end = -1 forever
	part       Part
	origin     [4]int // sample at which each component's phase is 0
}

// layout walks the spec's parts the way the standard describes the tone,
// independently of the Player: a frequency present in the previous part
// keeps its phase origin; a new one starts at phase 0.
func layout(s Spec, n int) []segment {
	var segs []segment
	pos, i := 0, 0
	for pos < n {
		p := s.Parts[i]
		seg := segment{start: pos, end: -1, part: p}
		if k := p.Samples(); k > 0 {
			seg.end = pos + k
		}
		for j, f := range p.Freqs {
			seg.origin[j] = pos
			if len(segs) > 0 {
				prev := segs[len(segs)-1]
				for k, g := range prev.part.Freqs {
					if g == f && f != 0 {
						seg.origin[j] = prev.origin[k]
					}
				}
			}
		}
		segs = append(segs, seg)
		if seg.end < 0 {
			break
		}
		pos = seg.end
		i++
		if i == len(s.Parts) {
			if s.Loop == len(s.Parts) {
				segs = append(segs, segment{start: pos, end: -1}) // finished: silence
				break
			}
			i = s.Loop
		}
	}
	return segs
}

// oracle is the sample the tone should have at absolute index n.
func oracle(segs []segment, n int) float64 {
	for _, sg := range segs {
		if n < sg.start || (sg.end >= 0 && n >= sg.end) {
			continue
		}
		v := 0.0
		for j, f := range sg.part.Freqs {
			if f != 0 {
				ph := 2 * math.Pi * float64(f) * float64(n-sg.origin[j]) / hal.SampleRate
				v += Amplitude(float64(sg.part.Level[j])) * math.Sin(ph)
			}
		}
		return v
	}
	return 0
}

// TestPlayerWaveform checks every sample of every tone against the oracle:
// frequencies, levels, phase continuity across frames and parts, and part
// boundaries at the exact sample all follow from it.
func TestPlayerWaveform(t *testing.T) {
	eachTone(t, func(t *testing.T, s Spec) {
		n := span(s)
		got := record(s, n)
		segs := layout(s, len(got))
		bad := 0
		for i, v := range got {
			want := oracle(segs, i)
			if math.Abs(float64(v)-want) > 1 {
				if bad < 3 {
					t.Errorf("sample %d (frame %d+%d) = %d, want %.1f", i, i/hal.FrameSamples, i%hal.FrameSamples, v, want)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%d of %d samples differ", bad, len(got))
		}
	})
}

// TestCadence measures on/off run lengths from the raw output and compares
// them with the spec, to the sample. A part that starts after silence starts
// at phase 0, i.e. with one zero sample, which the run of zeros absorbs.
func TestCadence(t *testing.T) {
	eachTone(t, func(t *testing.T, s Spec) {
		n := span(s)
		got := record(s, n)[:n]
		// Expected runs: consecutive sounding parts merge (UK special dial).
		type run struct {
			silent bool
			n      int
		}
		var want []run
		for _, sg := range layout(s, n) {
			end := sg.end
			if end < 0 || end > n {
				end = n
			}
			silent := sg.part.Silent()
			if k := len(want); k > 0 && want[k-1].silent == silent {
				want[k-1].n += end - sg.start
			} else {
				want = append(want, run{silent, end - sg.start})
			}
		}
		// Measured runs: a sample is silent when it is 0 next to another 0
		// (a sounding tone at these levels never rounds to 0 twice running).
		var have []run
		for i := range n {
			silent := got[i] == 0 && ((i > 0 && got[i-1] == 0) || (i+1 < n && got[i+1] == 0))
			if k := len(have); k > 0 && have[k-1].silent == silent {
				have[k-1].n++
			} else {
				have = append(have, run{silent, 1})
			}
		}
		// A sound after silence (or at the very start) begins with its
		// phase-0 zero, which the measured silence swallowed.
		for i := range have {
			if have[i].silent && i+1 < len(have) && (i > 0 || !want[0].silent) {
				have[i].n--
				have[i+1].n++
			}
		}
		if len(have) > 0 && have[0].n == 0 {
			have = have[1:]
		}
		if k := len(want); k > 0 && want[k-1].n == 0 {
			want = want[:k-1]
		}
		if len(have) != len(want) {
			t.Fatalf("runs %v, want %v", have, want)
		}
		for i := range want {
			if have[i] != want[i] {
				t.Errorf("run %d = %+v, want %+v", i, have[i], want[i])
			}
		}
	})
}

// goertzel returns the amplitude of frequency f in x.
func goertzel(x []int16, f float64) float64 {
	w := 2 * math.Pi * f / hal.SampleRate
	coef := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+coef*s1-s2, s1
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(x))
}

// TestFrequenciesAndLevels checks each sounding part with Goertzel filters:
// every component at its level (±0.3 dB), and nothing else in the signal.
func TestFrequenciesAndLevels(t *testing.T) {
	eachTone(t, func(t *testing.T, s Spec) {
		n := span(s)
		got := record(s, n)
		for _, sg := range layout(s, n) {
			if sg.part.Silent() {
				continue
			}
			end := sg.end
			if end < 0 {
				end = sg.start + hal.SampleRate
			}
			x := got[sg.start:end]
			energy := 0.0
			for _, v := range x {
				energy += float64(v) * float64(v)
			}
			explained := 0.0
			for j, f := range sg.part.Freqs {
				if f == 0 {
					continue
				}
				a := goertzel(x, float64(f))
				lvl := 20 * math.Log10(a/Ref0dBm0Peak)
				if math.Abs(lvl-float64(sg.part.Level[j])) > 0.3 {
					t.Errorf("part at %d: %d Hz at %.2f dBm0, want %d", sg.start, f, lvl, sg.part.Level[j])
				}
				explained += a * a / 2 * float64(len(x))
			}
			if explained/energy < 0.98 || explained/energy > 1.02 {
				t.Errorf("part at %d: components carry %.3f of the energy, want 1", sg.start, explained/energy)
			}
		}
	})
}

// TestPhaseContinuity checks every frame boundary inside a sounding part:
// the step across it is no larger than the steepest slope the part's
// components can make, so there is no click between frames.
func TestPhaseContinuity(t *testing.T) {
	eachTone(t, func(t *testing.T, s Spec) {
		n := span(s)
		got := record(s, n)
		for _, sg := range layout(s, n) {
			if sg.part.Silent() {
				continue
			}
			slope := 1.0 // rounding
			for j, f := range sg.part.Freqs {
				if f != 0 {
					slope += Amplitude(float64(sg.part.Level[j])) * 2 * math.Pi * float64(f) / hal.SampleRate
				}
			}
			end := sg.end
			if end < 0 || end > len(got) {
				end = len(got)
			}
			for b := (sg.start/hal.FrameSamples + 1) * hal.FrameSamples; b < end; b += hal.FrameSamples {
				if b-1 < sg.start {
					continue
				}
				if d := math.Abs(float64(got[b]) - float64(got[b-1])); d > slope {
					t.Errorf("step %0.f across frame boundary at %d exceeds %.0f", d, b, slope)
				}
			}
		}
	})
}

func TestPlayerLifecycle(t *testing.T) {
	us, _ := PlanFor("us")
	var p Player
	var f [hal.FrameSamples]int16
	if p.Playing() != "" {
		t.Fatal("new player is playing")
	}
	p.Fill(&f)
	if f != ([hal.FrameSamples]int16{}) {
		t.Fatal("idle player is not silent")
	}
	// Confirm does not repeat: 500 ms of bursts, then it ends by itself.
	p.Play(us.Tones[Confirm])
	for range 25 {
		if p.Playing() != Confirm {
			t.Fatalf("Playing() = %q during the tone", p.Playing())
		}
		p.Fill(&f)
	}
	if p.Playing() != "" {
		t.Errorf("Playing() = %q after the tone ended", p.Playing())
	}
	p.Fill(&f)
	if f != ([hal.FrameSamples]int16{}) {
		t.Error("finished tone is not silent")
	}
	// Play restarts from the beginning: same output as a fresh player.
	p.Play(us.Tones[Busy])
	for range 7 {
		p.Fill(&f)
	}
	p.Play(us.Tones[Busy])
	var q Player
	q.Play(us.Tones[Busy])
	var g [hal.FrameSamples]int16
	p.Fill(&f)
	q.Fill(&g)
	if f != g {
		t.Error("Play does not restart the tone")
	}
	p.Stop()
	p.Fill(&f)
	if p.Playing() != "" || f != ([hal.FrameSamples]int16{}) {
		t.Error("Stop does not silence the player")
	}
}

func TestFillAllocs(t *testing.T) {
	uk, _ := PlanFor("uk")
	var p Player
	var f [hal.FrameSamples]int16
	p.Play(uk.Tones[Congestion])
	if n := testing.AllocsPerRun(1000, func() { p.Fill(&f) }); n != 0 {
		t.Errorf("Fill allocates %v times per frame", n)
	}
	if n := testing.AllocsPerRun(100, func() { p.Play(uk.Tones[Ringback]) }); n != 0 {
		t.Errorf("Play allocates %v times", n)
	}
}

func BenchmarkPlayer(b *testing.B) {
	us, _ := PlanFor("us")
	for _, n := range []Name{Dial, Howler} {
		b.Run(string(n), func(b *testing.B) {
			var p Player
			var f [hal.FrameSamples]int16
			p.Play(us.Tones[n])
			b.ReportAllocs()
			for b.Loop() {
				p.Fill(&f)
			}
		})
	}
}
