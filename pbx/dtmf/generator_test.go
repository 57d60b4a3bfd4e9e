package dtmf

import (
	"errors"
	"math"
	"testing"
	"time"
)

// play queues the digits and renders frames until the generator is idle,
// preceded by lead samples of silence, so tones start at any phase of the
// frame grid.
func play(t *testing.T, g *Generator, lead int, keys string, on, off time.Duration) []int16 {
	t.Helper()
	for i := range len(keys) {
		if err := g.Start(keys[i], on, off); err != nil {
			t.Fatalf("Start(%q): %v", keys[i], err)
		}
	}
	out := make([]int16, lead)
	var f [FrameSamples]int16
	for g.Busy() {
		g.Fill(&f)
		out = append(out, f[:]...)
	}
	return out
}

// Generator → Detector round trip: every key, at several offsets of the
// tones against the detector's frame grid.
func TestRoundTrip(t *testing.T) {
	for _, lead := range []int{0, 1, 13, 40, 79, 80, 117, 159} {
		g := NewGenerator()
		pcm := play(t, g, lead, Keys, 60*ms, 60*ms)
		evs := detect(pcm)
		if err := checkPairs(evs); err != nil {
			t.Fatalf("lead %d: %v", lead, err)
		}
		if got := digits(evs); got != Keys {
			t.Fatalf("lead %d: detected %q, want %q", lead, got, Keys)
		}
		for _, ev := range evs {
			if ev.Kind == KeyUp && (ev.Duration < 55*ms || ev.Duration > 65*ms) {
				t.Errorf("lead %d: %q lasted %v, want 60ms ±5ms", lead, ev.Digit, ev.Duration)
			}
		}
	}
}

// The shortest Q.24 timing the generator may be asked for still decodes.
func TestRoundTripFast(t *testing.T) {
	g := NewGenerator()
	const keys = "0123456789*#ABCD"
	if got := digits(detect(play(t, g, 21, keys, 45*ms, 45*ms))); got != keys {
		t.Errorf("detected %q, want %q", got, keys)
	}
}

func TestGeneratorStartErrors(t *testing.T) {
	g := NewGenerator()
	tests := []struct {
		digit   byte
		on, off time.Duration
		want    error
	}{
		{'E', 50 * ms, 50 * ms, ErrInvalidDigit},
		{'x', 50 * ms, 50 * ms, ErrInvalidDigit},
		{0, 50 * ms, 50 * ms, ErrInvalidDigit},
		{'1', 0, 50 * ms, ErrInvalidDuration},
		{'1', -ms, 50 * ms, ErrInvalidDuration},
		{'1', 50 * ms, -ms, ErrInvalidDuration},
		{'1', 2 * time.Hour, 0, ErrInvalidDuration},
	}
	for _, tt := range tests {
		if err := g.Start(tt.digit, tt.on, tt.off); !errors.Is(err, tt.want) {
			t.Errorf("Start(%q, %v, %v) = %v, want %v", tt.digit, tt.on, tt.off, err, tt.want)
		}
	}
	if g.Busy() {
		t.Error("Busy after only failed Starts")
	}
	for i := range queueLen {
		if err := g.Start('5', 50*ms, 50*ms); err != nil {
			t.Fatalf("Start #%d: %v", i, err)
		}
	}
	if err := g.Start('5', 50*ms, 50*ms); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Start on a full queue = %v, want ErrQueueFull", err)
	}
	if err := g.Start('a', 50*ms, 0); !errors.Is(err, ErrQueueFull) {
		t.Errorf("lower-case digit on a full queue = %v, want ErrQueueFull", err)
	}
}

func TestGeneratorIdleAndBusy(t *testing.T) {
	g := NewGenerator()
	var f [FrameSamples]int16
	f[3] = 99
	if g.Fill(&f) {
		t.Error("idle Fill returned true")
	}
	if f != ([FrameSamples]int16{}) {
		t.Error("idle Fill did not write silence")
	}
	// 30 ms on + 30 ms off = 60 ms = 3 frames, all busy; then idle.
	if err := g.Start('9', 30*ms, 30*ms); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !g.Busy() || !g.Fill(&f) {
			t.Fatalf("frame %d: not busy", i)
		}
	}
	if g.Busy() || g.Fill(&f) {
		t.Error("still busy after tone and gap")
	}
	// Stop drops a queue at once.
	_ = g.Start('1', time.Second, 0)
	_ = g.Start('2', time.Second, 0)
	g.Fill(&f)
	g.Stop()
	if g.Busy() || g.Fill(&f) || f != ([FrameSamples]int16{}) {
		t.Error("Stop did not silence the generator")
	}
}

// Tone and gap lengths are as asked, to the sample (ramps included).
func TestGeneratorTiming(t *testing.T) {
	g := NewGenerator()
	pcm := play(t, g, 0, "1", 47*ms, 33*ms)
	if want := (47 + 33) * sampleRate / 1000; len(pcm) < want {
		t.Fatalf("rendered %d samples, want at least %d", len(pcm), want)
	}
	first, last := -1, -1
	for i, v := range pcm {
		if v != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	// The raised-cosine ramp starts and ends near zero, so allow a sample
	// of rounding at each end.
	if first > 1 || last < 47*8-3 || last > 47*8-1 {
		t.Errorf("tone spans samples %d..%d, want 0..%d", first, last, 47*8-1)
	}
}

// Levels: -7 dBm0 low group, -5 dBm0 high group by default, each measured
// by correlation over whole cycles; SetLevels changes them.
func TestGeneratorLevels(t *testing.T) {
	tests := []struct {
		low, high float64
		set       bool
	}{
		{DefaultLowDBm0, DefaultHighDBm0, false},
		{-10, -8, true},
		{-20, -20, true},
	}
	for _, tt := range tests {
		for i := range len(Keys) {
			k := Keys[i]
			g := NewGenerator()
			if tt.set {
				if err := g.SetLevels(tt.low, tt.high); err != nil {
					t.Fatal(err)
				}
			}
			pcm := play(t, g, 0, string(k), time.Second, 0)
			lo, hi, _ := Frequencies(k)
			// Skip the ramps; 0.5 s is a whole number of cycles of every
			// DTMF frequency (all are whole Hz).
			body := pcm[800 : 800+4000]
			for _, c := range []struct {
				hz, want float64
			}{{lo, tt.low}, {hi, tt.high}} {
				got := toneLevel(body, c.hz)
				if math.Abs(got-c.want) > 0.05 {
					t.Errorf("key %q %g Hz: %.2f dBm0, want %.2f", k, c.hz, got, c.want)
				}
			}
		}
	}
	g := NewGenerator()
	if err := g.SetLevels(3, 3); !errors.Is(err, ErrInvalidLevel) {
		t.Errorf("SetLevels(3, 3) = %v, want ErrInvalidLevel (would clip)", err)
	}
	if err := g.SetLevels(math.NaN(), -5); !errors.Is(err, ErrInvalidLevel) {
		t.Errorf("SetLevels(NaN) = %v, want ErrInvalidLevel", err)
	}
}

// toneLevel measures the level in dBm0 of the hz component of x.
func toneLevel(x []int16, hz float64) float64 {
	var re, im float64
	for n, v := range x {
		ph := 2 * math.Pi * hz * float64(n) / sampleRate
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	amp := 2 * math.Hypot(re, im) / float64(len(x))
	return 20 * math.Log10(amp/ZeroDBm0Peak)
}

// No clicks: no sample-to-sample step exceeds what the two sines can do
// (|dx/dn| ≤ ω·A per tone), at the ramps and across frame boundaries too,
// and the signal starts and ends near zero.
func TestGeneratorNoClicks(t *testing.T) {
	for i := range len(Keys) {
		k := Keys[i]
		g := NewGenerator()
		pcm := play(t, g, 0, string(k)+string(k), 73*ms, 41*ms)
		lo, hi, _ := Frequencies(k)
		limit := 2*math.Pi*lo/sampleRate*g.low + 2*math.Pi*hi/sampleRate*g.high
		limit = limit*1.02 + 2 // slack for rounding
		prev := 0.0
		for n, v := range pcm {
			if d := math.Abs(float64(v) - prev); d > limit {
				t.Fatalf("key %q: step of %.0f at sample %d (frame offset %d), limit %.0f", k, d, n, n%FrameSamples, limit)
			}
			prev = float64(v)
		}
		if a := math.Abs(float64(pcm[0])); a > limit {
			t.Errorf("key %q: first sample %v", k, pcm[0])
		}
	}
}

// The oscillators run on across frames: the rendered tone matches one
// continuous sine pair, so there is no phase jump at frame edges.
func TestGeneratorPhaseContinuous(t *testing.T) {
	g := NewGenerator()
	pcm := play(t, g, 0, "5", 200*ms, 0)
	lo, hi, _ := Frequencies('5')
	var maxErr float64
	for n := rampLen; n < len(pcm)-rampLen; n++ {
		want := g.low*math.Sin(2*math.Pi*lo*float64(n)/sampleRate) + g.high*math.Sin(2*math.Pi*hi*float64(n)/sampleRate)
		maxErr = max(maxErr, math.Abs(float64(pcm[n])-want))
	}
	if maxErr > 2 {
		t.Errorf("rendered tone strays %.1f from the ideal continuous sines", maxErr)
	}
}

func TestGeneratorAllocs(t *testing.T) {
	g := NewGenerator()
	var f [FrameSamples]int16
	allocs := testing.AllocsPerRun(500, func() {
		if !g.Busy() {
			_ = g.Start('8', 60*ms, 40*ms)
		}
		g.Fill(&f)
	})
	if allocs != 0 {
		t.Errorf("Fill allocates %v times per frame", allocs)
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := NewGenerator()
	var f [FrameSamples]int16
	b.ReportAllocs()
	for b.Loop() {
		if !g.Busy() {
			_ = g.Start('8', time.Second, 0)
		}
		g.Fill(&f)
	}
}
