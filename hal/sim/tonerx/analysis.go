package tonerx

import (
	"math"
	"sort"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Analysis geometry: a label every 10 ms from the last 40 ms. 40 ms makes
// the DFT bins 25 Hz apart, so tones 25 Hz apart (German 425 and 400 Hz,
// British 400 and 450 Hz) fall in each other's nulls.
const (
	blockLen  = 80 // samples: 10 ms
	winBlocks = 4
	winLen    = blockLen * winBlocks
	blockDur  = blockLen * time.Second / hal.SampleRate
	sampleDur = time.Second / hal.SampleRate
	maxSig    = 4 // frequencies in one signature
)

// refPeak is the peak, in 16-bit samples, of a sine at 0 dBm0: G.711
// (11/88) Table 2a puts the µ-law overload point, +3.17 dBm0, at 8159 in
// 14-bit units (32636 in 16-bit); 32636 / 10^(3.17/20) ≈ 22657.
const refPeak = 22657.0

// Decision thresholds.
const (
	// silenceDBm0: a 10 ms block below this mean power is silence. Tones
	// arrive at -13 to -25 dBm0, idle-channel noise well below -50.
	silenceDBm0 = -35.0
	// explainFrac: a signature must explain this share of the window's
	// energy. A clean tone scores > 0.98 and one 10 dB above noise about
	// 0.9; a voiced vowel whose harmonic sits on a tone frequency was seen
	// to reach 0.77 (speech-en-gb-slow-high on 400 Hz).
	explainFrac = 0.85
	// presence: each member of a signature must be at least this fraction
	// of the strongest member's amplitude (-10.5 dB), so that a superset
	// of what sounds does not match.
	presence = 0.3
)

// Labels of a block besides a signature index (0 and up).
const (
	lblNone    = -4
	lblVoice   = -3
	lblPending = -2 // energy, not yet classified (window not full of sound)
	lblOff     = -1
)

// sigFit fits one signature (a set of frequencies) to the window by least
// squares: ginv is the inverse Gram matrix of its cos/sin basis.
type sigFit struct {
	freq []int // indices into Recognizer.freqs
	ginv []float64
}

// step is one resolved cadence step.
type step struct {
	sig      int           // signature index, or lblOff for a gap
	min, max time.Duration // max 0 = no limit (continuous)
}

// pattern is a cadence resolved against the signature list.
type pattern struct {
	name    Name
	steps   []step
	loop    int // step the loop restarts at; len(steps) = tone ends
	inCall  bool
	entries []int // steps a tone may be joined at
	onSig   uint64
	// guard: a tone that ends is only finished if no more of its own
	// sound follows within this time (else three bursts of a stutter
	// would be a complete confirmation tone).
	guard time.Duration
}

// build resolves a country's cadences: the frequency list, the signatures
// with their fits, and the patterns with their tolerance windows.
func build(cads []cadence) (freqs []float64, sigs []sigFit, pats []pattern) {
	key := func(hz []float64) []float64 {
		k := append([]float64(nil), hz...)
		sort.Float64s(k)
		return k
	}
	sigOf := func(hz []float64) int {
		if len(hz) == 0 {
			return lblOff
		}
		k := key(hz)
	next:
		for i, s := range sigs {
			if len(s.freq) != len(k) {
				continue
			}
			for j, fi := range s.freq {
				if freqs[fi] != k[j] {
					continue next
				}
			}
			return i
		}
		var s sigFit
		for _, f := range k {
			fi := -1
			for i, g := range freqs {
				if g == f {
					fi = i
				}
			}
			if fi < 0 {
				fi = len(freqs)
				freqs = append(freqs, f)
			}
			s.freq = append(s.freq, fi)
		}
		sigs = append(sigs, s)
		return len(sigs) - 1
	}
	window := func(nom time.Duration) (time.Duration, time.Duration) {
		lo := time.Duration(float64(nom)*(1-tolerance)) - slack
		return max(lo, 0), time.Duration(float64(nom)*(1+tolerance)) + slack
	}
	for _, c := range cads {
		p := pattern{name: c.name, inCall: c.inCall, loop: len(c.intro), guard: finishGuard}
		for _, bu := range append(append([]burst(nil), c.intro...), c.loop...) {
			st := step{sig: sigOf(bu.hz)}
			if bu.ms > 0 {
				st.min, st.max = window(time.Duration(bu.ms) * time.Millisecond)
			}
			p.steps = append(p.steps, st)
			if st.sig >= 0 {
				p.onSig |= 1 << st.sig
			} else {
				p.guard = max(p.guard, st.max)
			}
		}
		if len(c.loop) == 0 {
			p.loop = len(p.steps)
		}
		for i, st := range p.steps {
			if st.sig >= 0 && (i == 0 || (i >= p.loop && len(p.steps)-p.loop >= 2)) {
				p.entries = append(p.entries, i)
			}
		}
		pats = append(pats, p)
	}
	// A continuous tone must outlast every burst with its signature.
	for pi := range pats {
		for si, st := range pats[pi].steps {
			if st.sig < 0 || st.max != 0 {
				continue
			}
			m := minContinuous
			for _, q := range pats {
				for _, o := range q.steps {
					if o.sig == st.sig && o.max > m {
						m = o.max
					}
				}
			}
			pats[pi].steps[si].min = m
		}
	}
	for i := range sigs {
		sigs[i].ginv = gramInverse(freqs, sigs[i].freq)
	}
	return freqs, sigs, pats
}

// gramInverse returns the inverse Gram matrix of the basis cos(ωn), sin(ωn)
// of each frequency over one window, row-major.
func gramInverse(freqs []float64, idx []int) []float64 {
	n := 2 * len(idx)
	basis := make([][]float64, n)
	for i, fi := range idx {
		w := 2 * math.Pi * freqs[fi] / hal.SampleRate
		c, s := make([]float64, winLen), make([]float64, winLen)
		for t := range winLen {
			c[t], s[t] = math.Cos(w*float64(t)), math.Sin(w*float64(t))
		}
		basis[2*i], basis[2*i+1] = c, s
	}
	// Augmented [G | I], Gauss-Jordan with partial pivoting.
	m := make([][]float64, n)
	for i := range n {
		m[i] = make([]float64, 2*n)
		for j := range n {
			for t := range winLen {
				m[i][j] += basis[i][t] * basis[j][t]
			}
		}
		m[i][n+i] = 1
	}
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[p][col]) {
				p = r
			}
		}
		m[col], m[p] = m[p], m[col]
		d := m[col][col]
		for j := range 2 * n {
			m[col][j] /= d
		}
		for r := range n {
			if r != col && m[r][col] != 0 {
				f := m[r][col]
				for j := range 2 * n {
					m[r][j] -= f * m[col][j]
				}
			}
		}
	}
	out := make([]float64, n*n)
	for i := range n {
		copy(out[i*n:], m[i][n:])
	}
	return out
}
