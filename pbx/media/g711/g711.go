package g711

import (
	"sync"

	zaf "github.com/zaf/g711"

	"github.com/hookswitch/hookswitch/hal"
)

// Law is a G.711 companding law.
type Law uint8

// The two G.711 laws. The zero Law is invalid, so a forgotten field is caught.
const (
	PCMU Law = iota + 1 // µ-law (ITU-T G.711; North America, Japan)
	PCMA                // A-law (ITU-T G.711; Europe and most of the world)
)

// Static RTP payload types, RFC 3551 §6 Table 4.
const (
	PayloadTypePCMU uint8 = 0
	PayloadTypePCMA uint8 = 8
)

// Frame is one 20 ms frame of G.711 code words: one byte per sample.
type Frame [hal.FrameSamples]byte

// String returns the RTP encoding name (RFC 3551 §4.5.14).
func (l Law) String() string {
	switch l {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "g711?"
}

// Valid reports whether l is PCMU or PCMA.
func (l Law) Valid() bool { return l == PCMU || l == PCMA }

// PayloadType returns the law's static RTP payload type (RFC 3551 Table 4).
func (l Law) PayloadType() uint8 {
	if l == PCMA {
		return PayloadTypePCMA
	}
	return PayloadTypePCMU
}

// ForPayloadType returns the law of a static RTP payload type.
func ForPayloadType(pt uint8) (Law, bool) {
	switch pt {
	case PayloadTypePCMU:
		return PCMU, true
	case PayloadTypePCMA:
		return PCMA, true
	}
	return 0, false
}

// Silence returns the code word for a zero sample (0xFF in µ-law, 0xD5 in A-law).
func (l Law) Silence() byte {
	if l == PCMA {
		return zaf.EncodeAlawFrame(0)
	}
	return zaf.EncodeUlawFrame(0)
}

// encodeTables are built once, from the library's per-sample encoders; they
// are read-only after construction. Index with uint16(sample).
type encodeTables struct {
	ulaw, alaw [1 << 16]uint8
}

var tables = sync.OnceValue(func() *encodeTables {
	t := new(encodeTables)
	for i := range 1 << 16 {
		s := int16(uint16(i))
		t.ulaw[i] = zaf.EncodeUlawFrame(s)
		t.alaw[i] = zaf.EncodeAlawFrame(s)
	}
	return t
})

func (l Law) encodeTable() *[1 << 16]uint8 {
	if l == PCMA {
		return &tables().alaw
	}
	return &tables().ulaw
}

// Encode compands one frame of linear samples.
func (l Law) Encode(dst *Frame, src *hal.Frame) {
	t := l.encodeTable()
	for i, s := range src {
		dst[i] = t[uint16(s)]
	}
}

// EncodeTo compands min(len(dst), len(src)) samples and returns that count.
func (l Law) EncodeTo(dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	t := l.encodeTable()
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = t[uint16(s)]
	}
	return n
}

// Decode expands one frame of code words to linear samples.
func (l Law) Decode(dst *hal.Frame, src *Frame) {
	l.DecodeTo(dst[:], src[:])
}

// DecodeTo expands min(len(dst), len(src)) code words and returns that count.
func (l Law) DecodeTo(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	if l == PCMA {
		for i, c := range src {
			dst[i] = zaf.DecodeAlawFrame(c)
		}
		return n
	}
	for i, c := range src {
		dst[i] = zaf.DecodeUlawFrame(c)
	}
	return n
}

// Transcode converts one frame of code words from one law to another. When
// the laws are equal it copies.
func Transcode(dst, src *Frame, from, to Law) {
	TranscodeTo(dst[:], src[:], from, to)
}

// TranscodeTo converts min(len(dst), len(src)) code words between laws with
// the direct code-conversion tables of ITU-T G.711 (not through linear, which
// could round differently), and returns the count. dst and src may be the same slice.
func TranscodeTo(dst, src []byte, from, to Law) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	switch {
	case from == to:
		copy(dst, src)
	case from == PCMU:
		for i, c := range src {
			dst[i] = zaf.Ulaw2AlawFrame(c)
		}
	default:
		for i, c := range src {
			dst[i] = zaf.Alaw2UlawFrame(c)
		}
	}
	return n
}
