package cidrx

import "time"

// Message types (Telcordia GR-30-CORE; ETSI EN 300 659-3 §5.2).
const (
	TypeSDMF     byte = 0x04 // calling number delivery
	TypeSDMFVMWI byte = 0x06 // message waiting
	TypeMDMF     byte = 0x80 // call setup
	TypeMDMFVMWI byte = 0x82 // message waiting
)

// MDMF parameters (GR-30-CORE; ETSI EN 300 659-3 §5.3).
const (
	paramDateTime     byte = 0x01
	paramNumber       byte = 0x02
	paramDialable     byte = 0x03 // dialable directory number, read as the number if no 0x02
	paramNumberAbsent byte = 0x04
	paramName         byte = 0x07
	paramNameAbsent   byte = 0x08
	paramMWI          byte = 0x0B
)

// SDMF message-waiting payload bytes (GR-30-CORE).
const (
	sdmfMWIOn  byte = 0x42
	sdmfMWIOff byte = 0x6F
)

// Message is one decoded caller ID or VMWI message.
type Message struct {
	At      time.Time // when the message ended (its checksum's stop bit)
	Type    byte      // TypeSDMF, TypeMDMF, TypeSDMFVMWI or TypeMDMFVMWI
	Seizure bool      // a channel seizure (alternating bits) preceded it
	Date    string    // "MMDDHHMM" as received, "" if absent
	Number  string
	Name    string
	// NumberAbsent and NameAbsent hold the reason byte ('O' unavailable,
	// 'P' private) when one was sent instead of the field.
	NumberAbsent, NameAbsent byte
	// MWI is set for VMWI messages: true when messages are waiting. An MDMF
	// indicator other than 0x00 counts as on.
	MWI *bool
}

// knownType reports whether the receiver assembles messages of type t.
func knownType(t byte) bool {
	return t == TypeSDMF || t == TypeSDMFVMWI || t == TypeMDMF || t == TypeMDMFVMWI
}

// valid checks a whole message (type, length, payload, checksum) whose
// length byte already matched: the checksum and the payload structure.
func valid(m []byte) bool {
	var sum byte
	for _, c := range m {
		sum += c
	}
	if sum != 0 {
		return false
	}
	p := m[2 : len(m)-1]
	switch m[0] {
	case TypeSDMF:
		return len(p) >= 9 // MMDDHHMM and a number or reason
	case TypeSDMFVMWI:
		return len(p) == 3 && p[0] == p[1] && p[1] == p[2] && (p[0] == sdmfMWIOn || p[0] == sdmfMWIOff)
	case TypeMDMF, TypeMDMFVMWI:
		for len(p) > 0 {
			if len(p) < 2 || len(p) < 2+int(p[1]) {
				return false
			}
			p = p[2+int(p[1]):]
		}
		return true
	}
	return false
}

// parse turns a valid message into a Message.
func parse(m []byte, at time.Time, seizure bool) Message {
	out := Message{At: at, Type: m[0], Seizure: seizure}
	p := m[2 : len(m)-1]
	switch m[0] {
	case TypeSDMF:
		out.Date = string(p[:8])
		if n := p[8:]; len(n) == 1 && (n[0] == 'O' || n[0] == 'P') {
			out.NumberAbsent = n[0]
		} else {
			out.Number = string(n)
		}
	case TypeSDMFVMWI:
		on := p[0] == sdmfMWIOn
		out.MWI = &on
	default:
		var dialable string
		for len(p) > 0 {
			typ, v := p[0], p[2:2+int(p[1])]
			p = p[2+len(v):]
			switch typ {
			case paramDateTime:
				out.Date = string(v)
			case paramNumber:
				out.Number = string(v)
			case paramDialable:
				dialable = string(v)
			case paramNumberAbsent:
				if len(v) > 0 {
					out.NumberAbsent = v[0]
				}
			case paramName:
				out.Name = string(v)
			case paramNameAbsent:
				if len(v) > 0 {
					out.NameAbsent = v[0]
				}
			case paramMWI:
				if len(v) > 0 {
					on := v[0] != 0
					out.MWI = &on
				}
			}
		}
		if out.Number == "" {
			out.Number = dialable
		}
	}
	return out
}
