package proslic

// Linefeed is a ProSLIC linefeed state code. Both families use the same
// codes: Si3210 reg 64 LF[2:0] and Si3226x reg 30 LINEFEED (Si3220 datasheet
// Rev 1.3 Table 18; DAHDI proslic.h SLIC_LF_*).
type Linefeed uint8

// Linefeed states.
const (
	Open          Linefeed = 0 // high impedance: no battery on the pair
	ForwardActive Linefeed = 1 // talk battery, normal polarity
	ForwardOHT    Linefeed = 2 // on-hook transmission, forward polarity (caller ID, VMWI)
	TipOpen       Linefeed = 3 // ground start
	Ringing       Linefeed = 4 // ringing generator on the pair
	ReverseActive Linefeed = 5 // talk battery, reversed polarity
	ReverseOHT    Linefeed = 6 // on-hook transmission, reversed polarity
	RingOpen      Linefeed = 7
)

var linefeedNames = [...]string{"open", "forward-active", "forward-oht", "tip-open", "ringing", "reverse-active", "reverse-oht", "ring-open"}

func (l Linefeed) String() string {
	if int(l) < len(linefeedNames) {
		return linefeedNames[l]
	}
	return "linefeed?"
}

// Valid reports whether l is one of the eight codes.
func (l Linefeed) Valid() bool { return l <= RingOpen }

// Reversed reports whether l puts reversed polarity on the line; the
// polarity bit is bit 2 for the active and OHT states (DAHDI SLIC_LF_REVMASK).
func (l Linefeed) Reversed() bool { return l == ReverseActive || l == ReverseOHT }
