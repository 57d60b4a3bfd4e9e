package rtpevent

import (
	"errors"
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// Event is a telephone-event code.
type Event uint8

// DTMF event codes, RFC 4733 §3.2: digits 0-9 are codes 0-9.
const (
	EventStar  Event = 10
	EventPound Event = 11
	EventA     Event = 12 // A-D follow in order
	EventFlash Event = 16 // hook flash, RFC 4733 §3.2
	// MaxDTMF is the highest event code this package sends or reports (the
	// "0-16" of the fmtp line in the SDP).
	MaxDTMF Event = EventFlash
)

const digits = "0123456789*#ABCD!"

// ForDigit returns the event for a DTMF character: 0-9, *, #, A-D (or a-d),
// and '!' for flash (the character SIP INFO dtmf-relay bodies use).
func ForDigit(c rune) (Event, bool) {
	if c >= 'a' && c <= 'd' {
		c -= 'a' - 'A'
	}
	for i, d := range digits {
		if d == c {
			return Event(i), true
		}
	}
	return 0, false
}

// Digit returns the event's DTMF character, or 0 for codes beyond MaxDTMF.
func (e Event) Digit() rune {
	if e > MaxDTMF {
		return 0
	}
	return rune(digits[e])
}

func (e Event) String() string {
	if d := e.Digit(); d != 0 {
		return string(d)
	}
	return fmt.Sprintf("event(%d)", uint8(e))
}

// PayloadSize is the size of one event block, RFC 4733 §2.3 Figure 1.
const PayloadSize = 4

// ErrShortPayload is returned for a payload shorter than PayloadSize.
var ErrShortPayload = errors.New("rtpevent: payload shorter than 4 bytes")

// Payload is one RFC 4733 event block (§2.3).
type Payload struct {
	Event    Event
	End      bool   // E bit: this packet ends the event
	Volume   uint8  // power level in -dBm0, 0-63 (§2.3.4)
	Duration uint16 // in RTP timestamp units since the event's timestamp (§2.3.5)
}

// MarshalTo writes the 4-byte block into b.
func (p Payload) MarshalTo(b []byte) (int, error) {
	if len(b) < PayloadSize {
		return 0, ErrShortPayload
	}
	b[0] = byte(p.Event)
	b[1] = p.Volume & 0x3f // R bit (0x40) is reserved and sent as zero, §2.3.3
	if p.End {
		b[1] |= 0x80
	}
	b[2] = byte(p.Duration >> 8)
	b[3] = byte(p.Duration)
	return PayloadSize, nil
}

// Unmarshal parses the first event block of b; any further bytes (packed or
// redundant blocks) are ignored.
func (p *Payload) Unmarshal(b []byte) error {
	if len(b) < PayloadSize {
		return ErrShortPayload
	}
	p.Event = Event(b[0])
	p.End = b[1]&0x80 != 0
	p.Volume = b[1] & 0x3f
	p.Duration = uint16(b[2])<<8 | uint16(b[3])
	return nil
}

// Samples converts a duration to 8 kHz timestamp units.
func Samples(d time.Duration) uint32 {
	return uint32(d * hal.SampleRate / time.Second)
}

// DurationOf converts 8 kHz timestamp units to a duration.
func DurationOf(samples uint32) time.Duration {
	return time.Duration(samples) * time.Second / hal.SampleRate
}
