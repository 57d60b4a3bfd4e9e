package tonerx_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/tonerx"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// t0 is the time of the first sample of every test stream.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const sampleDur = time.Second / hal.SampleRate

// ref0dBm0 is the peak of a 0 dBm0 sine (G.711 µ-law, as in pbx/tone).
const ref0dBm0 = tone.Ref0dBm0Peak

// stream is audio under construction, in samples.
type stream []float64

func (s *stream) silence(d time.Duration) { *s = append(*s, make([]float64, d/sampleDur)...) }

// play appends spec played by the PBX's Player for d, scaled by gainDB.
func (s *stream) play(spec tone.Spec, d time.Duration, gainDB float64) {
	var p tone.Player
	p.Play(spec)
	g := math.Pow(10, gainDB/20)
	n := int(d / sampleDur)
	var f [hal.FrameSamples]int16
	for n > 0 {
		p.Fill(&f)
		for _, v := range f[:min(n, len(f))] {
			*s = append(*s, g*float64(v))
		}
		n -= len(f)
	}
}

// sine appends a sine of f Hz at level dBm0 for d.
func (s *stream) sine(f, dBm0 float64, d time.Duration) {
	a := ref0dBm0 * math.Pow(10, dBm0/20)
	for i := range int(d / sampleDur) {
		*s = append(*s, a*math.Sin(2*math.Pi*f*float64(i)/hal.SampleRate))
	}
}

// now is the time of the next sample appended.
func (s stream) now() time.Time { return t0.Add(time.Duration(len(s)) * sampleDur) }

// addNoise adds white Gaussian noise at dBm0.
func (s stream) addNoise(dBm0 float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	sigma := ref0dBm0 / math.Sqrt2 * math.Pow(10, dBm0/20)
	for i := range s {
		s[i] += sigma * rng.NormFloat64()
	}
}

// feed runs the stream through r frame by frame, calling each (if not nil)
// after every frame with the time at the frame's end.
func feed(r *tonerx.Recognizer, s stream, each func(at time.Time)) {
	var f [hal.FrameSamples]int16
	for i := 0; i < len(s); i += len(f) {
		for j := range f {
			v := 0.0
			if i+j < len(s) {
				v = math.Round(s[i+j])
			}
			f[j] = int16(max(min(v, math.MaxInt16), math.MinInt16))
		}
		at := t0.Add(time.Duration(i) * sampleDur)
		r.Feed(&f, at)
		if each != nil {
			each(at.Add(hal.FrameDuration))
		}
	}
}

func newRx(t testing.TB, country string) *tonerx.Recognizer {
	t.Helper()
	r, err := tonerx.New(country)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// isTone reports whether n names a tone rather than silence/voice/unknown.
func isTone(n tonerx.Name) bool {
	return n != tonerx.Silence && n != tonerx.Voice && n != tonerx.Unknown
}

// tones returns History without voice entries.
func tones(h []tonerx.Heard) []tonerx.Heard {
	var out []tonerx.Heard
	for _, e := range h {
		if e.Tone != tonerx.Voice {
			out = append(out, e)
		}
	}
	return out
}

// playLength is how long to play a tone in the tests: whole loop cycles
// (so the last burst is complete) for at least 2.5 s, or 3 s of a tone
// that ends in a continuous part.
func playLength(s tone.Spec) time.Duration {
	var intro, loop time.Duration
	forever := false
	for i, p := range s.Parts {
		if p.Dur == 0 {
			forever = true
		}
		if i < s.Loop {
			intro += p.Dur
		} else {
			loop += p.Dur
		}
	}
	switch {
	case forever:
		return intro + 3*time.Second
	case loop == 0:
		return intro
	}
	d := intro + loop
	for d < 2500*time.Millisecond {
		d += loop
	}
	return d
}

// lastSound is the time just after the last sample above the silence
// threshold, where the tone's last burst ends.
func lastSound(s stream) time.Time {
	thr := ref0dBm0 * math.Pow(10, -35.0/20)
	for i := len(s) - 1; i >= 0; i-- {
		if math.Abs(s[i]) >= thr {
			return t0.Add(time.Duration(i+1) * sampleDur)
		}
	}
	return time.Time{}
}

func near(a, b time.Time, tol time.Duration) bool {
	d := a.Sub(b)
	return d <= tol && d >= -tol
}

// TestEveryTone plays every tone of every country's plan through the PBX's
// Player, at three levels with noise, into that country's recogniser, and
// checks what is heard, when it started and when it ended.
func TestEveryTone(t *testing.T) {
	for _, c := range tone.Countries() {
		plan, _ := tone.PlanFor(c)
		for name, spec := range plan.Tones {
			want := tonerx.Name(name)
			for _, gain := range []float64{-6, 0, 3} {
				t.Run(c+"/"+string(name)+"/"+gainName(gain), func(t *testing.T) {
					var s stream
					s.silence(300*time.Millisecond + 37*sampleDur) // onset off the frame grid
					onset := s.now()
					s.play(spec, playLength(spec), gain)
					end := lastSound(s)
					s.silence(12 * time.Second) // long enough for a call-waiting gap to expire
					s.addNoise(-50, 1)

					r := newRx(t, c)
					saw := false
					feed(r, s, func(at time.Time) {
						h := r.Heard()
						if isTone(h) && h != want {
							t.Fatalf("heard %s at %v", h, at.Sub(t0))
						}
						saw = saw || h == want
					})
					got := r.History()
					if len(got) != 1 || got[0].Tone != want {
						t.Fatalf("history %v, want one %s", got, want)
					}
					if !near(got[0].Start, onset, 3*time.Millisecond) {
						t.Errorf("Start %v, want %v", got[0].Start.Sub(t0), onset.Sub(t0))
					}
					if !near(got[0].End, end, 3*time.Millisecond) {
						t.Errorf("End %v, want %v", got[0].End.Sub(t0), end.Sub(t0))
					}
					// A call-waiting tone is heard between bursts of the call,
					// and a tone that ends is only certain once it has.
					if !saw && name != tone.CallWaiting && spec.Loop < len(spec.Parts) {
						t.Errorf("Heard() never said %s", want)
					}
					if h := r.Heard(); h != tonerx.Silence {
						t.Errorf("Heard() = %s after the tone", h)
					}
				})
			}
		}
	}
}

func gainName(g float64) string { return fmt.Sprintf("%+.0fdB", g) }
