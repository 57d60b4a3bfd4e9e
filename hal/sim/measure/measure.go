// Package measure holds what a test instrument measures on recorded audio.
package measure

import "math"

// TonePower returns the share of the samples' power that lies in one
// frequency (a single-bin DFT): 1 for a pure tone at hz, near 0 for silence
// or other frequencies.
func TonePower(s []int16, hz float64) float64 {
	w := 2 * math.Pi * hz / 8000
	var re, im, total float64
	for i, v := range s {
		x := float64(v)
		re += x * math.Cos(w*float64(i))
		im += x * math.Sin(w*float64(i))
		total += x * x
	}
	if total == 0 {
		return 0
	}
	return 2 * (re*re + im*im) / (float64(len(s)) * total)
}

// Sine returns n samples of a sine at hz with peak amplitude amp.
func Sine(hz float64, n int, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/8000))
	}
	return s
}
