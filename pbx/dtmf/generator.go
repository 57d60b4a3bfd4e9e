package dtmf

import (
	"fmt"
	"math"
	"time"
)

// Default generator levels per tone, in dBm0. The issue asks for about
// -7 dBm0 low group and -5 dBm0 high group: the high group 2 dB louder
// (normal twist), as telephone sets send it to offset line loss at the
// higher frequencies. Together they peak at 22.9k, clear of clipping.
const (
	DefaultLowDBm0  = -7.0
	DefaultHighDBm0 = -5.0
)

const (
	queueLen = 32
	// rampLen is the raised-cosine rise and fall at each tone edge (2 ms), so
	// a tone neither starts nor stops with a click.
	rampLen = 16
	// maxTone bounds one Start's on or off time; it keeps sample counts in
	// an int on 32-bit boards with a wide margin.
	maxTone = time.Hour
)

// tone is one queued digit, in samples.
type tone struct {
	row, col int
	on, off  int
}

// osc is a recursive quadrature oscillator: z advances by rot each sample,
// so frequency is exact and the phase runs on across frames.
type osc struct{ z, rot complex128 }

// Generator produces DTMF audio frames. Not safe for concurrent use; it
// allocates nothing per frame.
type Generator struct {
	rot    [8]complex128 // e^{jω} per DTMF frequency
	ramp   [rampLen]float64
	low    float64 // peak amplitude of the low-group tone
	high   float64 // peak amplitude of the high-group tone
	queue  [queueLen]tone
	qHead  int
	qLen   int
	cur    tone
	active bool
	pos    int // sample index within cur (tone, then gap)
	lo, hi osc
}

// NewGenerator returns an idle generator at the default levels.
func NewGenerator() *Generator {
	g := &Generator{}
	for i, hz := range toneFreqs() {
		w := 2 * math.Pi * hz / sampleRate
		g.rot[i] = complex(math.Cos(w), math.Sin(w))
	}
	for n := range rampLen {
		g.ramp[n] = 0.5 - 0.5*math.Cos(math.Pi*(float64(n)+0.5)/rampLen)
	}
	g.low, g.high = Amplitude(DefaultLowDBm0), Amplitude(DefaultHighDBm0)
	return g
}

// SetLevels sets the per-tone levels in dBm0, from the next sample on. The
// sum of the two peaks must stay within the 16-bit range.
func (g *Generator) SetLevels(lowDBm0, highDBm0 float64) error {
	lo, hi := Amplitude(lowDBm0), Amplitude(highDBm0)
	if math.IsNaN(lo+hi) || lo+hi > math.MaxInt16 {
		return fmt.Errorf("%w: %.1f/%.1f dBm0 would clip", ErrInvalidLevel, lowDBm0, highDBm0)
	}
	g.low, g.high = lo, hi
	return nil
}

// Start queues a digit: tone for on, then silence for off. Several Starts
// queue up, up to 32 digits.
func (g *Generator) Start(digit byte, on, off time.Duration) error {
	r, c, ok := keyPos(digit)
	if !ok {
		return fmt.Errorf("%w: %q", ErrInvalidDigit, digit)
	}
	if on <= 0 || off < 0 || on > maxTone || off > maxTone {
		return fmt.Errorf("%w: on %v off %v", ErrInvalidDuration, on, off)
	}
	if g.qLen == queueLen {
		return ErrQueueFull
	}
	g.queue[(g.qHead+g.qLen)%queueLen] = tone{
		row: r, col: 4 + c,
		on: samples(on), off: samples(off),
	}
	g.qLen++
	return nil
}

func samples(d time.Duration) int {
	return int((d*sampleRate + time.Second/2) / time.Second)
}

// Busy reports whether a digit is playing or queued.
func (g *Generator) Busy() bool { return g.active || g.qLen > 0 }

// Stop drops the queue and the digit in progress; the next Fill is silent.
func (g *Generator) Stop() {
	g.active = false
	g.qLen = 0
}

// Fill writes the next 20 ms: tone, gap or silence when idle. It returns
// true while a tone or its gap is in progress in this frame.
func (g *Generator) Fill(f *[160]int16) bool {
	busy := false
	for n := range f {
		if !g.active && !g.next() {
			f[n] = 0
			continue
		}
		busy = true
		f[n] = g.sample()
		g.pos++
		if g.pos >= g.cur.on+g.cur.off {
			g.active = false
		}
	}
	// Renormalise the oscillators once a frame against rounding drift.
	g.lo.z = unit(g.lo.z)
	g.hi.z = unit(g.hi.z)
	return busy
}

// next starts the next queued digit at phase zero.
func (g *Generator) next() bool {
	if g.qLen == 0 {
		return false
	}
	g.cur = g.queue[g.qHead]
	g.qHead = (g.qHead + 1) % queueLen
	g.qLen--
	g.active, g.pos = true, 0
	g.lo = osc{z: 1, rot: g.rot[g.cur.row]}
	g.hi = osc{z: 1, rot: g.rot[g.cur.col]}
	return true
}

// sample returns the sample at g.pos of the current digit.
func (g *Generator) sample() int16 {
	if g.pos >= g.cur.on {
		return 0 // gap
	}
	gain := 1.0
	if ramp := min(rampLen, g.cur.on/2); g.pos < ramp {
		gain = g.ramp[g.pos*rampLen/ramp]
	} else if tail := g.cur.on - 1 - g.pos; tail < ramp {
		gain = g.ramp[tail*rampLen/ramp]
	}
	v := gain * (g.low*imag(g.lo.z) + g.high*imag(g.hi.z))
	g.lo.z *= g.lo.rot
	g.hi.z *= g.hi.rot
	return int16(math.Round(v))
}

func unit(z complex128) complex128 {
	m := math.Hypot(real(z), imag(z))
	if m == 0 {
		return 1
	}
	return complex(real(z)/m, imag(z)/m)
}
