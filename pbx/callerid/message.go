package callerid

import "time"

// Message types (Telcordia GR-30-CORE; ETSI EN 300 659-3 §5.2).
const (
	TypeSDMF     byte = 0x04 // single data message: calling number delivery
	TypeSDMFVMWI byte = 0x06 // single data message: message waiting
	TypeMDMF     byte = 0x80 // multiple data message: call setup
	TypeMDMFVMWI byte = 0x82 // multiple data message: message waiting
)

// MDMF parameter types (GR-30-CORE; ETSI EN 300 659-3 §5.3).
const (
	ParamDateTime     byte = 0x01 // MMDDHHMM, 8 ASCII digits
	ParamNumber       byte = 0x02 // calling line identity
	ParamNumberAbsent byte = 0x04 // reason for absence of number: 'O' or 'P'
	ParamName         byte = 0x07 // calling party name
	ParamNameAbsent   byte = 0x08 // reason for absence of name: 'O' or 'P'
	ParamMWI          byte = 0x0B // visual indicator: 0xFF on, 0x00 off
)

// Reasons for an absent number or name (GR-30-CORE; EN 300 659-3 §5.3).
const (
	Unavailable byte = 'O' // out of area / unavailable
	Private     byte = 'P' // withheld by the caller
)

// Field limits.
const (
	// MaxNumber is the longest calling line identity sent: ETSI EN 300 659-3
	// §5.3 allows at most 20 characters for parameter 0x02. [verify]
	MaxNumber = 20
	// MaxSDMFNumber is the SDMF limit: the Bellcore CND message carries at
	// most 18 data words, 8 for MMDDHHMM and 10 for the directory number
	// (GR-30-CORE; Bellcore CND data sheet as reprinted 1991). [verify]
	MaxSDMFNumber = 10
	// MaxName is the longest name sent: calling name delivery (GR-1188-CORE,
	// used with GR-30 MDMF) displays at most 15 characters. [verify]
	MaxName = 15
	// MaxMessage is the largest message: type, length (≤255), payload, checksum.
	MaxMessage = 258
)

// VMWI payload bytes (GR-30-CORE SDMF message waiting; ETSI EN 300 659-3
// §5.3 visual indicator).
const (
	sdmfMWIOn  byte = 0x42
	sdmfMWIOff byte = 0x6F
	mdmfMWIOn  byte = 0xFF
	mdmfMWIOff byte = 0x00
)

// Info is what a caller ID message carries.
type Info struct {
	// Time is sent as MMDDHHMM in its own location; the zero Time omits the
	// MDMF date/time parameter (SDMF always carries one).
	Time time.Time
	// Number is the calling number, normally digits; printable ASCII is sent
	// as is, anything else as '?'.
	Number string
	// Name is the calling name, printable ASCII ('?' for anything else).
	Name string
	// NumberAbsent, when set, replaces the number with a reason: Unavailable
	// or Private. An empty Number with no reason is sent as Unavailable.
	NumberAbsent byte
	// NameAbsent, when set, replaces the name with a reason. An empty Name
	// with no reason omits the name parameter (number-only service).
	NameAbsent byte
}

// MDMF returns a multiple data message format call setup message: type 0x80,
// length, parameters date/time, number (or reason) and name (or reason), in
// the order GR-30-CORE lists them, and the checksum.
func MDMF(in Info) []byte { return AppendMDMF(make([]byte, 0, 64), in) }

// AppendMDMF appends MDMF(in) to dst and returns the extended slice.
func AppendMDMF(dst []byte, in Info) []byte {
	start := len(dst)
	dst = append(dst, TypeMDMF, 0)
	if !in.Time.IsZero() {
		dst = append(dst, ParamDateTime, 8)
		dst = appendMMDDHHMM(dst, in.Time)
	}
	if in.NumberAbsent != 0 || in.Number == "" {
		dst = append(dst, ParamNumberAbsent, 1, reason(in.NumberAbsent))
	} else {
		dst = appendParam(dst, ParamNumber, in.Number, MaxNumber)
	}
	if in.NameAbsent != 0 {
		dst = append(dst, ParamNameAbsent, 1, reason(in.NameAbsent))
	} else if in.Name != "" {
		dst = appendParam(dst, ParamName, in.Name, MaxName)
	}
	return finish(dst, start)
}

// SDMF returns a single data message format calling number delivery
// message: type 0x04, length, MMDDHHMM, the number (or 'O'/'P'), checksum
// (GR-30-CORE). SDMF has no name and no way to omit the date: a zero Time
// is sent as its month, day, hour and minute, "01010000".
func SDMF(in Info) []byte { return AppendSDMF(make([]byte, 0, 24), in) }

// AppendSDMF appends SDMF(in) to dst and returns the extended slice.
func AppendSDMF(dst []byte, in Info) []byte {
	start := len(dst)
	dst = append(dst, TypeSDMF, 0)
	dst = appendMMDDHHMM(dst, in.Time)
	if in.NumberAbsent != 0 || in.Number == "" {
		dst = append(dst, reason(in.NumberAbsent))
	} else {
		dst = appendText(dst, in.Number, MaxSDMFNumber)
	}
	return finish(dst, start)
}

// VMWI returns a message-waiting message: MDMF type 0x82 with parameter 0x0B
// (0xFF on, 0x00 off), or SDMF type 0x06 with three bytes 0x42 (on) or 0x6F
// (off) (GR-30-CORE; ETSI EN 300 659-3 §5.2.2).
func VMWI(on bool, mdmf bool) []byte { return AppendVMWI(make([]byte, 0, 6), on, mdmf) }

// AppendVMWI appends VMWI(on, mdmf) to dst and returns the extended slice.
func AppendVMWI(dst []byte, on bool, mdmf bool) []byte {
	start := len(dst)
	if mdmf {
		v := mdmfMWIOff
		if on {
			v = mdmfMWIOn
		}
		dst = append(dst, TypeMDMFVMWI, 0, ParamMWI, 1, v)
	} else {
		v := sdmfMWIOff
		if on {
			v = sdmfMWIOn
		}
		dst = append(dst, TypeSDMFVMWI, 0, v, v, v)
	}
	return finish(dst, start)
}

// finish fills in the length byte of the message starting at dst[start] and
// appends the checksum: the two's complement of the modulo-256 sum of type,
// length and payload, so a receiver's sum over the whole message is zero
// (GR-30-CORE; EN 300 659-3 §5.1).
func finish(dst []byte, start int) []byte {
	dst[start+1] = byte(len(dst) - start - 2)
	var sum byte
	for _, c := range dst[start:] {
		sum += c
	}
	return append(dst, -sum)
}

func reason(r byte) byte {
	if r == Private {
		return Private
	}
	return Unavailable
}

func appendParam(dst []byte, typ byte, s string, limit int) []byte {
	dst = append(dst, typ, 0)
	at := len(dst)
	dst = appendText(dst, s, limit)
	dst[at-1] = byte(len(dst) - at)
	return dst
}

// appendText appends at most limit characters of s, with anything outside
// printable ASCII (IA5, ETSI EN 300 659-3 §4) replaced by '?'.
func appendText(dst []byte, s string, limit int) []byte {
	n := 0
	for _, r := range s {
		if n == limit {
			break
		}
		if r < 0x20 || r > 0x7E {
			r = '?'
		}
		dst = append(dst, byte(r))
		n++
	}
	return dst
}

func appendMMDDHHMM(dst []byte, t time.Time) []byte {
	for _, v := range [4]int{int(t.Month()), t.Day(), t.Hour(), t.Minute()} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return dst
}
