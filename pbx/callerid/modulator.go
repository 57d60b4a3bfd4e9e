package callerid

import (
	"errors"
	"fmt"
	"math"
)

// ErrMessageTooLong is returned by Start for a message longer than MaxMessage.
var ErrMessageTooLong = errors.New("callerid: message longer than 258 bytes")

// Standard is the FSK modem a market uses for on-hook data.
type Standard uint8

// FSK standards. Both run at 1200 baud, asynchronous 8N1, least significant
// bit first (GR-30-CORE; ETSI EN 300 659-1 §6.1.1).
const (
	// Bell202 is the North American modem: mark (1) 1200 Hz, space (0)
	// 2200 Hz (Bell 202; GR-30-CORE).
	Bell202 Standard = iota + 1
	// V23 is ITU-T V.23 mode 2: mark 1300 Hz, space 2100 Hz (ITU-T V.23 §2.3),
	// used by ETSI EN 300 659-1 and BT SIN 227.
	V23
)

func (s Standard) String() string {
	switch s {
	case Bell202:
		return "bell202"
	case V23:
		return "v23"
	}
	return fmt.Sprintf("standard(%d)", uint8(s))
}

// tones returns the mark and space frequencies in Hz.
func (s Standard) tones() (mark, space float64) {
	if s == V23 {
		return 1300, 2100
	}
	return 1200, 2200
}

const (
	sampleRate   = 8000 // hal.SampleRate
	frameSamples = 160  // hal.FrameSamples
	baud         = 1200 // GR-30-CORE; ETSI EN 300 659-1 §6.1.1

	// seizureBits is the channel seizure: 300 bits of alternating 0 and 1,
	// starting with 0 (GR-30-CORE: 30 bytes of 0x55 framed 8N1; ETSI EN
	// 300 659-1 §6.1.2).
	seizureBits = 300
	// trailBits of mark end the burst so the last stop bit is whole and the
	// receiver sees a clean idle line before the carrier goes.
	trailBits = 12
	// rampSamples fade the carrier out over 1 ms instead of cutting it,
	// which would splatter energy across the band.
	rampSamples = 8

	// DefaultLevel is the FSK send level in dBm0: Bellcore specifies
	// -13.5 dBm into 900 Ω at the line (GR-30-CORE; Bellcore CND data sheet,
	// 1991), taken here as dBm0 with a 0 dB gain plan between codec and line.
	DefaultLevel = -13.5

	// zeroDBm0Peak is the peak of a 0 dBm0 sine in 16-bit linear PCM. G.711
	// puts µ-law's theoretical maximum load (a sine touching full scale,
	// 8159 in 14-bit units = 32636 in 16-bit) at +3.17 dBm0 (ITU-T G.711
	// §3, Tables 2a/2b); 32636 / 10^(3.17/20) ≈ 22654. [derived]
	zeroDBm0Peak = 22654.0
)

// peak converts a level in dBm0 to the peak amplitude of a sine.
func peak(dBm0 float64) float64 { return zeroDBm0Peak * math.Pow(10, dBm0/20) }

// Burst is one FSK transmission.
type Burst struct {
	// Seizure sends the 300-bit channel seizure first (on-hook Type I data
	// in North America and ETSI; not for BT SIN 227 or call-waiting Type II).
	Seizure bool
	// MarkMs is the mark preamble in milliseconds, rounded to whole bits:
	// Bellcore 130 ± 25 (GR-30-CORE; Asterisk sends 150), ETSI EN 300 659-1
	// 180 ± 25 after a seizure, BT SIN 227 96–315 bits (80–262 ms). [verify]
	MarkMs int
	// Msg is the message, as built by MDMF, SDMF or VMWI.
	Msg []byte
}

// Modulator streams one FSK burst frame by frame. The carrier is phase
// continuous across bit and frame boundaries, and bit edges fall on the
// nearest sample with 1200 baud exact on average (6⅔ samples a bit). The
// zero value is not usable; call NewModulator.
type Modulator struct {
	rotMark, rotSpace [2]float64 // cos, sin of the phase step per sample
	re, im            float64    // carrier phasor; the output is its imaginary part
	amp               float64

	msg        [MaxMessage]byte
	n          int
	seize      int // seizure bits in this burst
	mark       int // mark preamble bits
	total      int // all bits, trailing mark included
	bitPos     int
	acc        int // bit-clock phase: +1200 a sample, next bit at 8000
	bit        byte
	ramp       int // samples left in the fade-out
	busy, fade bool
}

// NewModulator returns an idle modulator for std at DefaultLevel.
func NewModulator(std Standard) *Modulator {
	m := &Modulator{}
	mark, space := std.tones()
	m.rotMark = rotation(mark)
	m.rotSpace = rotation(space)
	m.SetLevel(DefaultLevel)
	return m
}

func rotation(hz float64) [2]float64 {
	w := 2 * math.Pi * hz / sampleRate
	return [2]float64{math.Cos(w), math.Sin(w)}
}

// SetLevel sets the send level in dBm0 for the next and current burst.
func (m *Modulator) SetLevel(dBm0 float64) { m.amp = peak(dBm0) }

// Start begins a burst, replacing any burst in progress. It copies b.Msg,
// so the caller may reuse it at once, and allocates nothing.
func (m *Modulator) Start(b Burst) error {
	if len(b.Msg) > MaxMessage {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLong, len(b.Msg))
	}
	m.n = copy(m.msg[:], b.Msg)
	m.seize = 0
	if b.Seizure {
		m.seize = seizureBits
	}
	m.mark = 0
	if b.MarkMs > 0 {
		m.mark = (b.MarkMs*baud + 500) / 1000
	}
	m.total = m.seize + m.mark + 10*m.n + trailBits
	m.bitPos, m.acc = 0, 0
	m.bit = m.bitAt(0)
	m.re, m.im = 1, 0 // start at a zero crossing: no click
	m.busy, m.fade = true, false
	return nil
}

// Busy reports whether a burst is still being sent.
func (m *Modulator) Busy() bool { return m.busy }

// Stop abandons the burst in progress (the phone was lifted mid-transmission).
func (m *Modulator) Stop() { m.busy, m.fade = false, false }

// Fill writes the next 20 ms of the burst into f, silence after its end. It
// reports whether the burst goes on into the next frame: the frame in which
// it ends comes back with false and must still be sent.
func (m *Modulator) Fill(f *[frameSamples]int16) bool {
	i := 0
	for ; i < frameSamples && m.busy; i++ {
		f[i] = m.next()
	}
	for ; i < frameSamples; i++ {
		f[i] = 0
	}
	return m.busy
}

// next returns one sample and advances the carrier and the bit clock.
func (m *Modulator) next() int16 {
	a := m.amp
	if m.fade {
		a *= float64(m.ramp) / rampSamples
		m.ramp--
		if m.ramp == 0 {
			m.busy = false
		}
	}
	s := int16(math.Round(m.im * a))
	rot := &m.rotMark
	if m.bit == 0 {
		rot = &m.rotSpace
	}
	m.re, m.im = m.re*rot[0]-m.im*rot[1], m.re*rot[1]+m.im*rot[0]
	if m.fade {
		return s
	}
	m.acc += baud
	if m.acc >= sampleRate {
		m.acc -= sampleRate
		m.bitPos++
		// Keep |phasor| at 1: rounding would otherwise drift the level.
		g := 1.5 - 0.5*(m.re*m.re+m.im*m.im)
		m.re, m.im = m.re*g, m.im*g
		if m.bitPos == m.total {
			m.fade, m.ramp, m.bit = true, rampSamples, 1
		} else {
			m.bit = m.bitAt(m.bitPos)
		}
	}
	return s
}

// bitAt returns bit i of the burst: seizure, mark preamble, the message
// framed 8N1 least significant bit first, trailing mark.
func (m *Modulator) bitAt(i int) byte {
	if i < m.seize {
		return byte(i & 1)
	}
	i -= m.seize + m.mark
	if i < 0 || i >= 10*m.n {
		return 1
	}
	switch k := i % 10; k {
	case 0:
		return 0 // start bit
	case 9:
		return 1 // stop bit
	default:
		return (m.msg[i/10] >> (k - 1)) & 1
	}
}
