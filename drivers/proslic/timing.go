package proslic

import (
	"math"
	"time"
)

// TimerLSB is the unit of every cadence timer (ring, tone, pulse metering
// active/inactive): 125 µs, so 2 s = 16000 = 0x3E80 (ProSLIC API presets
// si321x_constants.c / si3226_constants.c: 0x80,0x3E = 2 s).
const TimerLSB = 125 * time.Microsecond

// Timer encodes d in timer units, saturating at the 16-bit maximum.
func Timer(d time.Duration) uint16 {
	n := d / TimerLSB
	if n < 0 {
		return 0
	}
	if n > math.MaxUint16 {
		return math.MaxUint16
	}
	return uint16(n)
}

// TimerDuration decodes a timer value.
func TimerDuration(v uint16) time.Duration { return time.Duration(v) * TimerLSB }

// RingCoefficient is the Si321x ringing oscillator frequency coefficient,
// ⌊32768·cos(2π·f/1000)⌋: the ring oscillator updates at 1 kHz, and the
// vendor presets truncate (ProSLIC API 20 Hz = 0x7EFD; DAHDI's 25 Hz 0x7E6D
// rounds instead, one LSB away).
func RingCoefficient(hz float64) uint16 {
	return uint16(math.Floor(32768 * math.Cos(2*math.Pi*hz/1000)))
}

// RingCoefficientRAM is the Si3226x RINGFR value, ⌊2^27·cos(2π·f/1000)⌋:
// it reproduces the API's sine table (16 Hz 0x7F5A8E0, 20 Hz 0x7EFD9D5,
// 25 Hz 0x7E6C925, 50 Hz 0x79BC384; si3226_intf.c Si3226_dbgSetRinging).
func RingCoefficientRAM(hz float64) uint32 {
	return uint32(math.Floor(1 << 27 * math.Cos(2*math.Pi*hz/1000)))
}

// RingFrequency inverts RingCoefficient.
func RingFrequency(coef uint16) float64 {
	return math.Acos(float64(coef)/32768) * 1000 / (2 * math.Pi)
}
