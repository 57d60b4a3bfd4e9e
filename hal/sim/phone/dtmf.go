package phone

import "math"

// keypad holds the DTMF row and column frequencies of each key (ITU-T Q.23 §2).
var keypad = map[byte][2]float64{
	'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
	'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
	'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477}, 'C': {852, 1633},
	'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
}

// dtmfAmp is the peak amplitude of each tone, -6 dBm0. A full-scale sine is
// +3.17 dBm0 in µ-law (ITU-T G.711 §2), so 0 dBm0 is a peak of about 22 650
// on the 16-bit scale.
const dtmfAmp = 11350

// keySamples writes the DTMF tone of key into buf from sample offset n of the
// tone (so a tone split across frames stays phase-continuous), adding it to
// what is already there.
func keySamples(buf []int16, key byte, n int) {
	f := keypad[key]
	for i := range buf {
		t := float64(n+i) / 8000
		v := float64(buf[i]) + dtmfAmp*(math.Sin(2*math.Pi*f[0]*t)+math.Sin(2*math.Pi*f[1]*t))
		buf[i] = clamp(v)
	}
}

func clamp(v float64) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
