package cidrx

import (
	"math"
	"math/cmplx"
)

// biquad is one second-order IIR section, transposed direct form II.
type biquad struct {
	b0, b1, b2, a1, a2 float32
	z1, z2             float32
}

// tiny is far below any audible level (1 is one 16-bit LSB). State that
// decays under it is flushed to zero: silence would otherwise decay into
// subnormal floats (squares of 1e-20 are subnormal in float32), which are
// two orders of magnitude slower on common CPUs.
const tiny = 1e-15

func (q *biquad) step(x float32) float32 {
	y := q.b0*x + q.z1
	q.z1 = q.b1*x - q.a1*y + q.z2
	q.z2 = q.b2*x - q.a2*y
	if q.z1 < tiny && q.z1 > -tiny {
		q.z1 = 0
	}
	if q.z2 < tiny && q.z2 > -tiny {
		q.z2 = 0
	}
	return y
}

// response is the section's gain at hz.
func (q *biquad) response(hz float64) float64 {
	z := cmplx.Exp(complex(0, -2*math.Pi*hz/sampleRate)) // z⁻¹
	num := complex(float64(q.b0), 0) + complex(float64(q.b1), 0)*z + complex(float64(q.b2), 0)*z*z
	den := 1 + complex(float64(q.a1), 0)*z + complex(float64(q.a2), 0)*z*z
	return cmplx.Abs(num / den)
}

// butterworth2 designs a 2nd-order Butterworth high- or low-pass section by
// the bilinear transform (R. Bristow-Johnson, "Audio EQ cookbook", Q = 1/√2).
func butterworth2(hz float64, high bool) biquad {
	w := 2 * math.Pi * hz / sampleRate
	cw, alpha := math.Cos(w), math.Sin(w)/math.Sqrt2
	a0 := 1 + alpha
	var b0, b1 float64
	if high {
		b0, b1 = (1+cw)/2, -(1 + cw)
	} else {
		b0, b1 = (1-cw)/2, 1-cw
	}
	return biquad{
		b0: float32(b0 / a0), b1: float32(b1 / a0), b2: float32(b0 / a0),
		a1: float32(-2 * cw / a0), a2: float32((1 - alpha) / a0),
	}
}
