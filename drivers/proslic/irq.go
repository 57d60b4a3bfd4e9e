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

// Measurements are a channel's line measurements, as magnitudes.
type Measurements struct {
	Battery     float64 `json:"battery_v"`       // high battery, V
	BatteryLow  float64 `json:"battery_low_v"`   // low battery, V (0 where the chip has one)
	Loop        float64 `json:"loop_v"`          // tip-ring voltage, V
	Tip, Ring   float64 `json:"-"`               // V to ground
	LoopCurrent float64 `json:"loop_current_ma"` // mA
}
