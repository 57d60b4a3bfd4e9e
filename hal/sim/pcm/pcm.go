package pcm

import (
	"fmt"

	"github.com/zaf/g711"

	"github.com/hookswitch/hookswitch/hal"
)

// Format is the coding of a time slot.
type Format uint8

// Formats. Linear uses two consecutive slots, most significant byte first.
const (
	ALaw Format = iota
	ULaw
	Linear
)

var formatNames = [...]string{"alaw", "ulaw", "linear"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format?"
}

// Width is the number of 8-bit slots a sample takes.
func (f Format) Width() int {
	if f == Linear {
		return 2
	}
	return 1
}

// idle is what an undriven DTX slot carries: the line floats high.
const idle = 0xFF

// Bus is one PCM highway. It is not safe for concurrent use: the board's tick
// owns it.
type Bus struct {
	slots    int
	drx, dtx []byte // FrameSamples × slots
	driven   []bool // DTX slot driven this tick
	clashes  int
}

// New returns a bus with slots 8-bit slots per frame (PCLK = slots × 64 kHz;
// the Si3220 datasheet allows 4 to 128 slots).
func New(slots int) (*Bus, error) {
	if slots < 1 || slots > 128 {
		return nil, fmt.Errorf("pcm: %d slots (want 1..128)", slots)
	}
	n := hal.FrameSamples * slots
	return &Bus{slots: slots, drx: make([]byte, n), dtx: make([]byte, n), driven: make([]bool, slots)}, nil
}

// Slots returns the number of slots per frame.
func (b *Bus) Slots() int { return b.slots }

// Clashes counts DTX slots two chips drove in the same tick.
func (b *Bus) Clashes() int { return b.clashes }

// Begin starts a tick: nothing drives DTX yet.
func (b *Bus) Begin() {
	for i := range b.dtx {
		b.dtx[i] = idle
	}
	for i := range b.driven {
		b.driven[i] = false
	}
}

// HostSend puts a frame on DRX in slot (the host is the bus master).
func (b *Bus) HostSend(slot int, f Format, src *hal.Frame) {
	if slot < 0 || slot+f.Width() > b.slots {
		return
	}
	for i, s := range src {
		encode(b.drx[i*b.slots+slot:], f, s)
	}
}

// HostReceive takes the frame the chips put on DTX in slot.
func (b *Bus) HostReceive(slot int, f Format, dst *hal.Frame) {
	if slot < 0 || slot+f.Width() > b.slots {
		*dst = hal.Frame{}
		return
	}
	for i := range dst {
		dst[i] = decode(b.dtx[i*b.slots+slot:], f)
	}
}

// ChipReceive is a chip taking its receive slot, found by its start count
// in PCLK cycles (8 per slot). It reports false, and leaves silence, when the
// count is not on a slot boundary or runs off the frame.
func (b *Bus) ChipReceive(start int, f Format, dst *hal.Frame) bool {
	slot, ok := b.slot(start, f)
	if !ok {
		*dst = hal.Frame{}
		return false
	}
	for i := range dst {
		dst[i] = decode(b.drx[i*b.slots+slot:], f)
	}
	return true
}

// ChipTransmit is a chip driving its transmit slot.
func (b *Bus) ChipTransmit(start int, f Format, src *hal.Frame) bool {
	slot, ok := b.slot(start, f)
	if !ok {
		return false
	}
	for k := range f.Width() {
		if b.driven[slot+k] {
			b.clashes++
		}
		b.driven[slot+k] = true
	}
	for i, s := range src {
		encode(b.dtx[i*b.slots+slot:], f, s)
	}
	return true
}

func (b *Bus) slot(start int, f Format) (int, bool) {
	if start < 0 || start%8 != 0 {
		return 0, false
	}
	s := start / 8
	return s, s+f.Width() <= b.slots
}

func encode(dst []byte, f Format, s int16) {
	switch f {
	case ALaw:
		dst[0] = g711.EncodeAlawFrame(s)
	case ULaw:
		dst[0] = g711.EncodeUlawFrame(s)
	default:
		dst[0], dst[1] = byte(uint16(s)>>8), byte(s)
	}
}

func decode(src []byte, f Format) int16 {
	switch f {
	case ALaw:
		return g711.DecodeAlawFrame(src[0])
	case ULaw:
		return g711.DecodeUlawFrame(src[0])
	default:
		return int16(uint16(src[0])<<8 | uint16(src[1]))
	}
}
