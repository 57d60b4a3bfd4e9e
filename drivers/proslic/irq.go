package proslic

// Interrupts is one read-and-clear of a channel's interrupt status, reduced to
// what a line needs plus the raw status bytes for diagnostics.
type Interrupts struct {
	LoopChange bool    // loop-closure detector changed state (hook switch)
	RingTrip   bool    // off-hook detected while ringing
	PowerAlarm uint8   // one bit per power-alarm source (chip-specific numbering); 0 = none
	Raw        [4]byte // status registers as read, in register order
}

// Any reports whether any interrupt was pending.
func (i Interrupts) Any() bool {
	return i.Raw != [4]byte{}
}
