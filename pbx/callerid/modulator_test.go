package callerid

import (
	"errors"
	"math"
	"testing"
	"time"
)

// render plays a burst to its end and returns every sample, whole frames.
func render(t *testing.T, m *Modulator, b Burst) []int16 {
	t.Helper()
	if err := m.Start(b); err != nil {
		t.Fatal(err)
	}
	var out []int16
	var f [frameSamples]int16
	for range 1000 {
		more := m.Fill(&f)
		out = append(out, f[:]...)
		if !more {
			if m.Busy() {
				t.Fatal("Fill returned false while Busy")
			}
			return out
		}
	}
	t.Fatal("burst never ended")
	return nil
}

// power is the normalised power of x at hz (1 for a unit-amplitude sine
// filling the window), by direct correlation.
func power(x []int16, hz float64, amp float64) float64 {
	var re, im float64
	for n, v := range x {
		w := 2 * math.Pi * hz * float64(n) / sampleRate
		re += float64(v) * math.Cos(w)
		im += float64(v) * math.Sin(w)
	}
	h := amp * float64(len(x)) / 2
	return (re*re + im*im) / (h * h)
}

// residual is the RMS error left after the best least-squares fit of
// a·cos + b·sin at hz to x: near zero when x is that tone, whatever its phase.
func residual(x []int16, hz float64) float64 {
	var cc, ss, cs, xc, xs, xx float64
	for n, v := range x {
		w := 2 * math.Pi * hz * float64(n) / sampleRate
		c, s, f := math.Cos(w), math.Sin(w), float64(v)
		cc, ss, cs = cc+c*c, ss+s*s, cs+c*s
		xc, xs, xx = xc+f*c, xs+f*s, xx+f*f
	}
	det := cc*ss - cs*cs
	a := (xc*ss - xs*cs) / det
	b := (xs*cc - xc*cs) / det
	return math.Sqrt(math.Max(0, xx-a*xc-b*xs) / float64(len(x)))
}

// bitEnd is the sample index where bit i ends: the modulator advances the
// bit when the sample count times 1200 reaches (i+1)*8000.
func bitEnd(i int) int { return ((i+1)*sampleRate + baud - 1) / baud }

// TestModulatorBits checks every bit of a burst by the tone inside its
// window: seizure pattern, preamble, 8N1 framing, LSB first, trailing mark.
func TestModulatorBits(t *testing.T) {
	msg := MDMF(Info{Time: time.Date(2026, 3, 24, 9, 2, 0, 0, time.UTC), Number: "8005551212", Name: "JOHN DOE"})
	for _, std := range []Standard{Bell202, V23} {
		for _, seize := range []bool{true, false} {
			m := NewModulator(std)
			out := render(t, m, Burst{Seizure: seize, MarkMs: 150, Msg: msg})
			nSeize := 0
			if seize {
				nSeize = seizureBits
			}
			nBits := nSeize + 180 + 10*len(msg) + trailBits
			wantLen := bitEnd(nBits-1) + rampSamples
			lastNonZero := 0
			for i, v := range out {
				if v != 0 {
					lastNonZero = i
				}
			}
			if lastNonZero >= wantLen || lastNonZero < wantLen-2 {
				t.Errorf("%v seize=%v: burst ends at sample %d, want %d", std, seize, lastNonZero+1, wantLen)
			}
			if got, want := len(out), (wantLen+frameSamples-1)/frameSamples*frameSamples; got != want {
				t.Errorf("%v: %d samples rendered, want %d", std, got, want)
			}
			markHz, spaceHz := std.tones()
			for i := range nBits {
				want := byte(1)
				switch j := i - nSeize - 180; {
				case i < nSeize:
					want = byte(i & 1)
				case j >= 0 && j < 10*len(msg):
					switch k := j % 10; k {
					case 0:
						want = 0
					case 9:
						want = 1
					default:
						want = msg[j/10] >> (k - 1) & 1
					}
				}
				lo, hi := 0, bitEnd(i)
				if i > 0 {
					lo = bitEnd(i - 1)
				}
				w := out[lo+1 : hi-1] // skip the samples next to a tone change
				pm, ps := residual(w, markHz), residual(w, spaceHz)
				got := byte(0)
				if pm < ps {
					got = 1
				}
				if got != want {
					t.Fatalf("%v seize=%v bit %d = %d, want %d (residual mark %.2f space %.2f)", std, seize, i, got, want, pm, ps)
				}
			}
		}
	}
}

func TestModulatorLevelAndContinuity(t *testing.T) {
	for _, level := range []float64{DefaultLevel, -5, -35} {
		m := NewModulator(Bell202)
		m.SetLevel(level)
		out := render(t, m, Burst{MarkMs: 150, Msg: VMWI(true, true)})
		pre := out[8:1200] // mark preamble
		var e float64
		for _, v := range pre {
			e += float64(v) * float64(v)
		}
		rms := math.Sqrt(e / float64(len(pre)))
		got := 20 * math.Log10(rms*math.Sqrt2/zeroDBm0Peak)
		if math.Abs(got-level) > 0.1 {
			t.Errorf("level %.1f dBm0: measured %.2f", level, got)
		}
		// A phase jump would show as a step larger than the fastest tone
		// can move between samples.
		amp := peak(level)
		maxStep := 2*amp*math.Sin(math.Pi*2200/sampleRate) + 2
		for i := 1; i < len(out); i++ {
			if d := math.Abs(float64(out[i]) - float64(out[i-1])); d > maxStep {
				t.Fatalf("level %.1f: step %.0f at sample %d > %.0f", level, d, i, maxStep)
			}
		}
	}
}

func TestModulatorIdleAndErrors(t *testing.T) {
	m := NewModulator(V23)
	f := [frameSamples]int16{1, 2, 3}
	if m.Fill(&f) || m.Busy() || f != [frameSamples]int16{} {
		t.Error("idle modulator must return false and a silent frame")
	}
	err := m.Start(Burst{Msg: make([]byte, MaxMessage+1)})
	if !errors.Is(err, ErrMessageTooLong) || m.Busy() {
		t.Errorf("Start(too long) = %v, busy %v", err, m.Busy())
	}
	if err := m.Start(Burst{Msg: make([]byte, MaxMessage)}); err != nil || !m.Busy() {
		t.Errorf("Start(max) = %v", err)
	}
}

func TestModulatorAllocs(t *testing.T) {
	m := NewModulator(Bell202)
	msg := MDMF(Info{Number: "5551212", Name: "X"})
	var f [frameSamples]int16
	if n := testing.AllocsPerRun(200, func() {
		if !m.Fill(&f) {
			_ = m.Start(Burst{Seizure: true, MarkMs: 150, Msg: msg})
		}
	}); n != 0 {
		t.Errorf("Fill/Start allocs = %v, want 0", n)
	}
}

func TestAlert(t *testing.T) {
	var a Alert
	a.Start(AlertDuration)
	var out []int16
	var f [frameSamples]int16
	for {
		more := a.Fill(&f)
		out = append(out, f[:]...)
		if !more {
			break
		}
	}
	n := 0
	for i, v := range out {
		if v != 0 {
			n = i + 1
		}
	}
	if want := 800; n < want-1 || n > want {
		t.Errorf("alert lasts %d samples, want %d", n, want)
	}
	amp := peak(AlertLevel)
	w := out[:800]
	for _, c := range []struct {
		hz   float64
		want float64
	}{{AlertLowHz, 1}, {AlertHighHz, 1}, {2200, 0}, {1200, 0}} {
		if p := power(w, c.hz, amp); math.Abs(p-c.want) > 0.05 {
			t.Errorf("power at %v Hz = %.3f, want %.0f", c.hz, p, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		if !a.Fill(&f) {
			a.Start(AlertDuration)
		}
	}); n != 0 {
		t.Errorf("Alert.Fill allocs = %v", n)
	}
}

// BenchmarkModulate measures one 20 ms frame of FSK.
func BenchmarkModulate(b *testing.B) {
	m := NewModulator(Bell202)
	burst := Burst{Seizure: true, MarkMs: 150, Msg: MDMF(Info{Number: "8005551212", Name: "JOHN DOE"})}
	var f [frameSamples]int16
	b.ReportAllocs()
	for b.Loop() {
		if !m.Fill(&f) {
			_ = m.Start(burst)
		}
	}
}

func BenchmarkAlert(b *testing.B) {
	var a Alert
	var f [frameSamples]int16
	b.ReportAllocs()
	for b.Loop() {
		if !a.Fill(&f) {
			a.Start(time.Second)
		}
	}
}
