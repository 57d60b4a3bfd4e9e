package dtmf

import "math"

// sampleRate is the audio rate in Hz (8 kHz, ITU-T G.711 §2).
const sampleRate = 8000

// FrameSamples is the number of samples in one 20 ms frame.
const FrameSamples = 160

// ZeroDBm0Peak is the peak amplitude of a 0 dBm0 sine on the 16-bit linear
// scale: 4*8159*10^(-3.17/20) (ITU-T G.711 §5 and Table 2/G.711; see doc.go).
const ZeroDBm0Peak = 22657.0

// Amplitude returns the peak amplitude of a sine at the given level in dBm0.
func Amplitude(dBm0 float64) float64 {
	return ZeroDBm0Peak * math.Pow(10, dBm0/20)
}

// toneFreqs returns the DTMF frequencies in Hz, ITU-T Q.23 §2: four rows
// (low group) then four columns (high group). A function, not a variable,
// so the package holds no mutable state.
func toneFreqs() [8]float64 {
	return [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
}

// keypad lists the keys row by row, four columns each (ITU-T Q.23 §2).
const keypad = "123A456B789C*0#D"

// Keys is every DTMF key in keypad order.
const Keys = keypad

// Frequencies returns the row (low group) and column (high group)
// frequencies in Hz of a key, and false for a byte that is not a DTMF key.
// Lower-case 'a'-'d' are accepted.
func Frequencies(digit byte) (low, high float64, ok bool) {
	r, c, ok := keyPos(digit)
	if !ok {
		return 0, 0, false
	}
	f := toneFreqs()
	return f[r], f[4+c], true
}

func keyPos(digit byte) (row, col int, ok bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for i := range len(keypad) {
		if keypad[i] == digit {
			return i / 4, i % 4, true
		}
	}
	return 0, 0, false
}
