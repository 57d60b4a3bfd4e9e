package quality

import (
	"math"
	"time"
)

// G.711 impairment factors, ITU-T G.113 Appendix I (Table I.1 of the 2001/2007
// editions): no intrinsic impairment, and the packet-loss robustness of G.711
// with and without concealment.
const (
	IeG711       = 0.0
	BplG711PLC   = 25.1
	BplG711NoPLC = 4.3
)

// defaultR is R with every G.107 parameter at its default (G.107 §7.7): the
// ceiling for a G.711 call with no delay and no loss.
const defaultR = 93.2

// Input is what the model needs from a call leg.
type Input struct {
	// Loss is the packet loss ratio, 0 to 1 (G.107's Ppl is this in percent).
	Loss float64
	// BurstR is G.107's burst ratio: 1 for random loss, more for bursty loss.
	// Zero means 1.
	BurstR float64
	// Delay is the one-way mouth-to-ear delay Ta.
	Delay time.Duration
	// NoPLC selects G.711 without packet loss concealment (Bpl 4.3).
	NoPLC bool
}

// Estimate returns the rating R (0 to 100) and the MOS (1 to 4.5).
func Estimate(in Input) (r, mos float64) {
	bpl := BplG711PLC
	if in.NoPLC {
		bpl = BplG711NoPLC
	}
	burst := in.BurstR
	if burst < 1 {
		burst = 1
	}
	ppl := min(max(in.Loss, 0), 1) * 100
	// G.107 §7.5: Ie,eff = Ie + (95 - Ie) · Ppl / (Ppl/BurstR + Bpl).
	ieEff := IeG711 + (95-IeG711)*ppl/(ppl/burst+bpl)
	r = defaultR - Idd(in.Delay) - ieEff
	r = min(max(r, 0), 100)
	return r, MOS(r)
}

// Idd is the G.107 §7.4 impairment for pure one-way delay Ta: zero up to
// 100 ms, then 25·((1+X⁶)^⅙ − 3·(1+(X/3)⁶)^⅙ + 2) with X = log₂(Ta/100 ms).
func Idd(ta time.Duration) float64 {
	ms := float64(ta) / float64(time.Millisecond)
	if ms <= 100 {
		return 0
	}
	x := math.Log2(ms / 100)
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

// MOS maps R to the mean opinion score, G.107 Annex B (eq. B-4):
// 1 + 0.035R + R(R−60)(100−R)·7·10⁻⁶, clamped to 1 and 4.5 (the cubic dips
// just under 1 for R below about 6.5).
func MOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
}

// BurstRatio estimates G.107's BurstR from a two-state (Gilbert) loss model
// fitted to counts: p = P(loss after a received packet) = bursts/received,
// q = P(reception after a loss) = bursts/lost, BurstR = 1/(p+q) (G.107 §7.5).
// It returns 1 when there is too little loss to tell.
func BurstRatio(bursts, lost, received uint64) float64 {
	if bursts == 0 || lost == 0 || received == 0 {
		return 1
	}
	p := float64(bursts) / float64(received)
	q := float64(bursts) / float64(lost)
	return max(1/(p+q), 1)
}
