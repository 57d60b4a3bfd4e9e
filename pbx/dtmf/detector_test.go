package dtmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

const ms = time.Millisecond

// leads are the offsets (in samples) at which a test signal starts within
// the first frame, so tones straddle frame and sub-block edges differently.
var leads = []int{0, 7, 19, 53, 80, 131, 159}

func newRand(t testing.TB, salt uint64) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(0x5eed, salt))
}

// wantOnce checks that evs is exactly one KeyDown/KeyUp pair for digit.
func wantOnce(evs []Event, digit byte) error {
	if err := checkPairs(evs); err != nil {
		return err
	}
	if got := digits(evs); got != string(digit) {
		return fmt.Errorf("detected %q, want %q (events %v)", got, string(digit), evs)
	}
	return nil
}

func TestEveryKeyNominal(t *testing.T) {
	rng := newRand(t, 1)
	for i := range len(Keys) {
		k := Keys[i]
		for _, lead := range leads {
			evs := detect(toPCM(synth(rng, lead, keySeg(k, -10, -10, 100*ms))))
			if err := wantOnce(evs, k); err != nil {
				t.Fatalf("key %q lead %d: %v", k, lead, err)
			}
			if d := evs[1].Duration; d < 95*ms || d > 105*ms {
				t.Errorf("key %q lead %d: duration %v, want 100ms ±5ms", k, lead, d)
			}
		}
	}
}

func TestLowerCaseKeys(t *testing.T) {
	for _, k := range "abcd" {
		lo, hi, ok := Frequencies(byte(k))
		LO, HI, _ := Frequencies(byte(k) - 'a' + 'A')
		if !ok || lo != LO || hi != HI {
			t.Errorf("Frequencies(%q) = %v, %v, %v", k, lo, hi, ok)
		}
	}
	if _, _, ok := Frequencies('E'); ok {
		t.Error("Frequencies('E') ok")
	}
}

// ITU-T Q.24: accept within ±1.5 %, reject beyond ±3.5 %.
func TestFrequencyTolerance(t *testing.T) {
	type shift struct {
		name     string
		low, hig bool
	}
	shifts := []shift{{"both", true, true}, {"low", true, false}, {"high", false, true}}
	tests := []struct {
		dev  float64 // fractional deviation
		want bool
	}{
		{+0.014, true}, {-0.014, true},
		{+0.036, false}, {-0.036, false},
		{+0.05, false}, {-0.05, false},
	}
	rng := newRand(t, 2)
	for _, tt := range tests {
		for _, sh := range shifts {
			for _, level := range []float64{-3, -20} {
				name := fmt.Sprintf("%+.1f%%/%s/%gdBm0", tt.dev*100, sh.name, level)
				t.Run(name, func(t *testing.T) {
					for i := range len(Keys) {
						k := Keys[i]
						s := keySeg(k, level, level, 100*ms)
						if sh.low {
							s.lowHz *= 1 + tt.dev
						}
						if sh.hig {
							s.highHz *= 1 + tt.dev
						}
						lead := leads[i%len(leads)]
						evs := detect(toPCM(synth(rng, lead, s)))
						if tt.want {
							if err := wantOnce(evs, k); err != nil {
								t.Errorf("key %q: %v", k, err)
							}
						} else if len(evs) != 0 {
							t.Errorf("key %q: detected %v, want nothing", k, evs)
						}
					}
				})
			}
		}
	}
}

// Q.24 40 ms minimum: 45 ms detected, 30 ms not, wherever the tone falls
// against frame and sub-block edges.
func TestDuration(t *testing.T) {
	tests := []struct {
		dur  time.Duration
		want bool
	}{
		{45 * ms, true},
		{40 * ms, true},
		{30 * ms, false},
		{25 * ms, false},
	}
	rng := newRand(t, 3)
	for _, tt := range tests {
		t.Run(tt.dur.String(), func(t *testing.T) {
			for i := range len(Keys) {
				k := Keys[i]
				for lead := 0; lead < FrameSamples; lead += 11 {
					evs := detect(toPCM(synth(rng, lead, keySeg(k, -10, -10, tt.dur))))
					if tt.want {
						if err := wantOnce(evs, k); err != nil {
							t.Fatalf("key %q lead %d: %v", k, lead, err)
						}
						if d := evs[1].Duration; d < tt.dur-5*ms || d > tt.dur+5*ms {
							t.Errorf("key %q lead %d: duration %v, want %v ±5ms", k, lead, d, tt.dur)
						}
					} else if len(evs) != 0 {
						t.Fatalf("key %q lead %d: detected %v, want nothing", k, lead, evs)
					}
				}
			}
		})
	}
}

// Q.24 twist: normal (high group louder) up to 8 dB, reverse up to 4 dB.
func TestTwist(t *testing.T) {
	tests := []struct {
		name          string
		lowDB, highDB float64
		want          bool
	}{
		{"normal +7dB", -15, -8, true},
		{"reverse +3.5dB", -8, -11.5, true},
		{"normal +7dB weak", -25, -18, true},
		{"reverse +3.5dB weak", -21.5, -25, true},
		{"normal +10dB", -15, -5, false},
		{"reverse +6dB", -6, -12, false},
		{"normal +10dB weak", -25, -15, false},
		{"reverse +6dB weak", -19, -25, false},
	}
	rng := newRand(t, 4)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range len(Keys) {
				k := Keys[i]
				evs := detect(toPCM(synth(rng, leads[i%len(leads)], keySeg(k, tt.lowDB, tt.highDB, 80*ms))))
				if tt.want {
					if err := wantOnce(evs, k); err != nil {
						t.Errorf("key %q: %v", k, err)
					}
				} else if len(evs) != 0 {
					t.Errorf("key %q: detected %v, want nothing", k, evs)
				}
			}
		})
	}
}

// Sensitivity: about -26 dBm0 per tone operates, far below does not.
func TestLevel(t *testing.T) {
	tests := []struct {
		dBm0 float64
		want bool
	}{
		{0, true},
		{-25, true},
		{-40, false},
		{-50, false},
	}
	rng := newRand(t, 5)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%gdBm0", tt.dBm0), func(t *testing.T) {
			for i := range len(Keys) {
				k := Keys[i]
				evs := detect(toPCM(synth(rng, leads[i%len(leads)], keySeg(k, tt.dBm0, tt.dBm0, 80*ms))))
				if tt.want {
					if err := wantOnce(evs, k); err != nil {
						t.Errorf("key %q: %v", k, err)
					}
				} else if len(evs) != 0 {
					t.Errorf("key %q: detected %v, want nothing", k, evs)
				}
			}
		})
	}
}

// Q.24: S/N 15 dB with white noise still detects. The noise runs through
// the whole stream, before and after the digit too.
func TestWhiteNoise(t *testing.T) {
	rng := newRand(t, 6)
	for _, level := range []float64{-5, -15, -22} {
		t.Run(fmt.Sprintf("%gdBm0", level), func(t *testing.T) {
			// Two tones at `level` each: signal power is level+3 dB.
			noise := level + 10*math.Log10(2) - 15
			for i := range len(Keys) {
				k := Keys[i]
				for rep := range 3 {
					x := synth(rng, leads[(i+rep)%len(leads)], gap(60*ms), keySeg(k, level, level, 60*ms), gap(100*ms))
					addNoise(rng, x, noise)
					evs := detect(toPCM(x))
					if err := wantOnce(evs, k); err != nil {
						t.Errorf("key %q rep %d: %v", k, rep, err)
					}
				}
			}
		})
	}
	t.Run("noise alone", func(t *testing.T) {
		for _, level := range []float64{-10, -20, -30} {
			x := make([]float64, 5*sampleRate)
			addNoise(rng, x, level)
			if evs := detect(toPCM(x)); len(evs) != 0 {
				t.Errorf("noise at %g dBm0: detected %v", level, evs)
			}
		}
	})
}

// A dialled sequence at 50 ms on / 50 ms off gives every digit exactly once.
func TestSequence(t *testing.T) {
	rng := newRand(t, 7)
	for _, seq := range []string{Keys, "0123456789", "1111", "5#5#5#", "**00##DD"} {
		for _, lead := range leads {
			var segs []seg
			for i := range len(seq) {
				segs = append(segs, keySeg(seq[i], -12, -10, 50*ms), gap(50*ms))
			}
			evs := detect(toPCM(synth(rng, lead, segs...)))
			if err := checkPairs(evs); err != nil {
				t.Fatalf("%q lead %d: %v", seq, lead, err)
			}
			if got := digits(evs); got != seq {
				t.Fatalf("%q lead %d: detected %q", seq, lead, got)
			}
		}
	}
}

// Interruptions of a few milliseconds do not split a digit; a real pause does.
func TestInterruption(t *testing.T) {
	rng := newRand(t, 8)
	tests := []struct {
		pause time.Duration
		want  string
	}{
		{5 * ms, "5"},
		{10 * ms, "5"},
		{40 * ms, "55"},
	}
	for _, tt := range tests {
		evs := detect(toPCM(synth(rng, 17, keySeg('5', -10, -10, 60*ms), gap(tt.pause), keySeg('5', -10, -10, 60*ms))))
		if err := checkPairs(evs); err != nil {
			t.Fatalf("pause %v: %v", tt.pause, err)
		}
		if got := digits(evs); got != tt.want {
			t.Errorf("pause %v: detected %q, want %q", tt.pause, got, tt.want)
		}
	}
}

// A digit that changes with no pause still gives both digits, in order.
func TestDigitChangeWithoutPause(t *testing.T) {
	rng := newRand(t, 9)
	evs := detect(toPCM(synth(rng, 40, keySeg('1', -10, -10, 80*ms), keySeg('9', -10, -10, 80*ms))))
	if err := checkPairs(evs); err != nil {
		t.Fatal(err)
	}
	if got := digits(evs); got != "19" {
		t.Errorf("detected %q, want \"19\"", got)
	}
}

func TestQueueKeepsSecondEvent(t *testing.T) {
	d := NewDetector()
	d.push(Event{Kind: KeyUp, Digit: '1', Duration: 50 * ms})
	d.push(Event{Kind: KeyDown, Digit: '2'})
	var silence [FrameSamples]int16
	for i, want := range []Event{{KeyUp, '1', 50 * ms}, {KeyDown, '2', 0}, {}} {
		if got := d.Process(&silence); got != want {
			t.Errorf("call %d: %v, want %v", i, got, want)
		}
	}
}

func TestReset(t *testing.T) {
	rng := newRand(t, 10)
	pcm := toPCM(synth(rng, 0, keySeg('7', -10, -10, 100*ms)))
	d := NewDetector()
	var f [FrameSamples]int16
	down := false
	for off := 0; off+FrameSamples <= len(pcm); off += FrameSamples {
		copy(f[:], pcm[off:])
		if d.Process(&f).Kind == KeyDown {
			down = true
			break
		}
	}
	if !down {
		t.Fatal("no KeyDown before Reset")
	}
	d.Reset()
	if evs := detectWith(d, nil); len(evs) != 0 {
		t.Errorf("after Reset: %v, want nothing", evs)
	}
	// The detector works as new after Reset.
	if err := wantOnce(detectWith(d, pcm), '7'); err != nil {
		t.Error(err)
	}
}

// ZeroDBm0Peak agrees with the G.711 µ-law digital milliwatt (Table 6/G.711:
// the periodic sequence that decodes to a 1 kHz sine at 0 dBm0).
func TestZeroDBm0MatchesDigitalMilliwatt(t *testing.T) {
	seq := []byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E}
	var sum float64
	for _, b := range seq {
		v := float64(ulawDecode(b))
		sum += v * v
	}
	peak := math.Sqrt(sum/float64(len(seq))) * math.Sqrt2
	if db := 20 * math.Log10(peak/ZeroDBm0Peak); math.Abs(db) > 0.01 {
		t.Errorf("digital milliwatt peak %.0f is %.3f dB from ZeroDBm0Peak", peak, db)
	}
}

// ulawDecode expands a G.711 µ-law byte to the 16-bit scale (14-bit value
// shifted left by 2), per Table 2/G.711.
func ulawDecode(b byte) int16 {
	b = ^b
	exp, mant := (b>>4)&7, int32(b&0x0F)
	v := ((mant<<3)+0x84)<<exp - 0x84
	if b&0x80 != 0 {
		v = -v
	}
	return int16(v)
}

func TestDetectorAllocs(t *testing.T) {
	rng := newRand(t, 11)
	pcm := toPCM(synth(rng, 0, keySeg('3', -10, -10, 60*ms), gap(60*ms)))
	d := NewDetector()
	var f [FrameSamples]int16
	off := 0
	allocs := testing.AllocsPerRun(500, func() {
		if off+FrameSamples > len(pcm) {
			off = 0
		}
		copy(f[:], pcm[off:])
		off += FrameSamples
		d.Process(&f)
	})
	if allocs != 0 {
		t.Errorf("Process allocates %v times per frame", allocs)
	}
}

func BenchmarkDetect(b *testing.B) {
	rng := newRand(b, 12)
	pcm := toPCM(synth(rng, 0, keySeg('5', -10, -10, 60*ms), gap(60*ms)))
	frames := len(pcm) / FrameSamples
	fs := make([][FrameSamples]int16, frames)
	for i := range fs {
		copy(fs[i][:], pcm[i*FrameSamples:])
	}
	d := NewDetector()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d.Process(&fs[i%frames])
	}
}

// The Q.24 limits at once: shortest tone, largest accepted deviation and
// twist, weakest level, and noise.
func TestCombinedLimits(t *testing.T) {
	tests := []struct {
		name          string
		lowDB, highDB float64
		lowDev, hiDev float64
		noiseSNR      float64 // 0: no noise
	}{
		{"+1.4% normal twist 7dB", -20, -13, +0.014, +0.014, 0},
		{"-1.4% normal twist 7dB", -20, -13, -0.014, -0.014, 0},
		{"split 1.4% reverse twist 3.5dB", -12, -15.5, +0.014, -0.014, 0},
		{"split 1.4% reverse twist 3.5dB other way", -12, -15.5, -0.014, +0.014, 0},
		{"-25dBm0 +1.4%", -25, -25, +0.014, +0.014, 0},
		{"-25dBm0 -1.4%", -25, -25, -0.014, -0.014, 0},
		{"1.4% and 15dB S/N", -15, -13, +0.014, -0.014, 15},
	}
	rng := newRand(t, 13)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range len(Keys) {
				k := Keys[i]
				for _, lead := range leads {
					s := keySeg(k, tt.lowDB, tt.highDB, 45*ms)
					s.lowHz *= 1 + tt.lowDev
					s.highHz *= 1 + tt.hiDev
					x := synth(rng, lead, gap(20*ms), s, gap(60*ms))
					if tt.noiseSNR != 0 {
						sig := 10 * math.Log10(math.Pow(10, tt.lowDB/10)+math.Pow(10, tt.highDB/10))
						addNoise(rng, x, sig-tt.noiseSNR)
					}
					if err := wantOnce(detect(toPCM(x)), k); err != nil {
						t.Errorf("key %q lead %d: %v", k, lead, err)
					}
				}
			}
		})
	}
}
