package si321x

// Direct registers (Si3210 datasheet register summary; names as in the
// ProSLIC API si321x_registers.h).
const (
	RegSPIMode      = 0  // SPI_MODE: [7] daisy chain enable, [5:4] part, [3:0] revision
	RegPCMMode      = 1  // PCM_MODE: [7] Si3215/16 family, [5] PCME, [4:3] PCMF
	RegPCMTxLo      = 2  // PCM transmit start count, PCLK cycles after FSYNC
	RegPCMTxHi      = 3  //   [1:0] bits 9:8
	RegPCMRxLo      = 4  // PCM receive start count
	RegPCMRxHi      = 5  //   [1:0] bits 9:8
	RegDIO          = 6  // on Si3215/16 [7:5] = variant
	RegLoopback     = 8  // AUDIO_LOOPBACK, reset 0x02
	RegAudioGain    = 9  // [3:2] TX, [1:0] RX analog gain
	RegImpedance    = 10 // two-wire impedance (TISS)
	RegHybrid       = 11 // reset 0x33
	RegPowerDown1   = 14 // 0x10 = DC-DC converter powered down
	RegPowerDown2   = 15
	RegIrqStatus1   = 18 // oscillator/ring/pulse timers, write 1 to clear
	RegIrqStatus2   = 19 // [0] ring trip, [1] loop closure, [7:2] power alarm Q1..Q6
	RegIrqStatus3   = 20 // [0] DTMF (Si3210), [1] indirect done, [2] CM balance cal error
	RegIrqMask1     = 21
	RegIrqMask2     = 22
	RegIrqMask3     = 23
	RegDTMFDigit    = 24 // Si3210 only
	RegIDALo        = 28 // indirect data
	RegIDAHi        = 29
	RegIAA          = 30 // indirect address: writing it starts the access
	RegIStatus      = 31 // indirect access busy while non-zero
	RegOsc1         = 32
	RegOsc2         = 33
	RegRingOscCtl   = 34 // [4] inactive timer en, [3] active timer en, [0] trapezoid
	RegRingOnLo     = 48 // ring active timer, 125 µs/LSB
	RegRingOnHi     = 49
	RegRingOffLo    = 50 // ring inactive timer
	RegRingOffHi    = 51
	RegFSKData      = 52
	RegLinefeed     = 64 // LINE_STATE: [2:0] requested state, [6:4] actual state
	RegBiasSquelch  = 65
	RegBatFeed      = 66
	RegAuto         = 67 // AUTO_STATE: automatic actions, see Auto*
	RegLoopStat     = 68 // [0] LCR loop closed, [1] RTP ring trip, [7:3] always 0
	RegLoopDebounce = 69
	RegRTDebounce   = 70
	RegLoopILimit   = 71 // 20 mA + 3 mA/LSB
	RegVOC          = 72 // on-hook voltage, 1.5 V/LSB
	RegVCM          = 73 // common-mode voltage, 1.5 V/LSB
	RegVBATH        = 74 // high battery, 1.5 V/LSB
	RegVBATL        = 75 // low battery, 1.5 V/LSB
	RegLoopVSense   = 78 // 376 mV/LSB
	RegLoopISense   = 79 // [5:0] 1.25 mA/LSB
	RegTipVSense    = 80 // 376 mV/LSB
	RegRingVSense   = 81
	RegVBATHSense   = 82 // 376 mV/LSB
	RegVBATLSense   = 83
	RegIQ5          = 88 // transistor current; comparator during manual calibration
	RegIQ6          = 89
	RegDCDCPWM      = 92 // DC-DC PWM period, 61.035 ns/LSB
	RegDCDC         = 93 // [7] DC-DC calibration start/busy, [4:0] min off time
	RegCal1         = 96 // CALIBR1: [6] CAL start/busy, [4:0] CALR CALT CALD CALC CALIL
	RegCal2         = 97 // CALIBR2: [4:0] CALM1 CALM2 CALDAC CALADC CALCM
	RegCalFirst     = 98 // calibration results 98..107
	RegDCPeakCal    = 107
	RegRevC         = 108
)

// Bits and values.
const (
	SPIDaisyChain   = 0x80 // reg 0 SPIDC
	PCMFamily3215   = 0x80 // reg 1: Si3215/16
	PCMEnable       = 0x20 // reg 1 PCME
	PCMFormatShift  = 3    // reg 1 PCMF[4:3]: 00 A-law, 01 µ-law, 11 16-bit linear (DAHDI 0x28 = µ-law + PCME) [verify]
	PowerDownDCDC   = 0x10 // reg 14
	CalStart        = 0x40 // reg 96 CAL
	DCDCCalStart    = 0x80 // reg 93 DCCAL
	LoopStatLCR     = 0x01 // reg 68
	LoopStatRTP     = 0x02
	LoopStatUnused  = 0xF8 // reg 68 bits that always read 0 (card_fxs.c uses them to spot absent chips)
	Irq2RingTrip    = 0x01 // reg 19
	Irq2LoopClosure = 0x02
	Irq2PowerAlarms = 0xFC // Q1..Q6
	Irq3CMBalance   = 0x04 // reg 20
	RingTimersOn    = 0x18 // reg 34: active + inactive timer enable
	RingTrapezoid   = 0x01 // reg 34
)

// Reg 67 AUTO_STATE bits [verify against the Si3210 datasheet register 67:
// DAHDI writes 0x07 with the comment "disable automatic VBAT switching", and
// 0x17 "if pulse dialing has problems", which fits this layout].
const (
	AutoOpenOnAlarm = 0x01 // AOPN: power alarm drops the linefeed to open
	AutoLoopClosure = 0x02 // AOLD
	AutoRingTrip    = 0x04 // AORD: ring trip ends ringing (linefeed to active)
	AutoBattery     = 0x08 // ABAT: automatic battery switching
	AutoSpeedupOff  = 0x10 // SPDS
)

// Sense scales (DAHDI wctdm.c prints VBAT as reg82·376/1000 V; the 1.25 mA/LSB
// loop current scale is from a Si3210 line-card driver's on-hook test,
// "|I| < 10 mA = 1.25 mA·8").
const (
	SenseMillivoltsPerLSB = 376
	LoopMicroampsPerLSB   = 1250
)

// Part identifies the chip variant.
type Part uint8

// Parts (DAHDI wctdm_proslic_insane; ProSLIC API chipType).
const (
	PartUnknown Part = iota
	Si3210
	Si3211
	Si3212
	Si3210M
	Si3215
	Si3216
	Si3215M
	Si3216M
)

var partNames = [...]string{"unknown", "Si3210", "Si3211", "Si3212", "Si3210M", "Si3215", "Si3216", "Si3215M", "Si3216M"}

func (p Part) String() string {
	if int(p) < len(partNames) {
		return partNames[p]
	}
	return "part?"
}

// Is3215 reports whether p has the Si3215/16 indirect register map.
func (p Part) Is3215() bool { return p >= Si3215 }

// M reports whether p is an "M" part, whose DC-DC wants other PWM settings
// (API: reg 92 = 0x60, reg 93 = 0x38).
func (p Part) M() bool { return p == Si3210M || p == Si3215M || p == Si3216M }

// decodePart reads the part from reg 0, reg 1 and reg 6.
func decodePart(r0, r1, r6 byte) Part {
	if r1&PCMFamily3215 != 0 {
		switch r6 & 0xE0 {
		case 0x00:
			return Si3215
		case 0x80:
			return Si3216
		case 0x60:
			return Si3215M
		case 0xE0:
			return Si3216M
		}
		return PartUnknown
	}
	return [...]Part{Si3210, Si3211, Si3212, Si3210M}[(r0>>4)&3]
}

// IR is an indirect register in Si3210 numbering.
type IR uint8

// Indirect registers the driver uses (Si3210 numbering).
const (
	IROsc1Coef       IR = 13
	IRRingVOff       IR = 19
	IRRingOsc        IR = 20 // ring frequency coefficient
	IRRingX          IR = 21 // ring amplitude
	IRRingY          IR = 22 // ring initial phase / trapezoid rise
	IRRecvGain       IR = 26
	IRXmitGain       IR = 27
	IRLoopCloseTres  IR = 28
	IRRingTripTres   IR = 29
	IRLoopCloseFilt  IR = 35
	IRRingTripFilter IR = 36
	IRThermQ1Q2      IR = 37
	IRThermQ3Q4      IR = 38
	IRThermQ5Q6      IR = 39
	IRScratch97      IR = 97
)

// irDef is one indirect register with its Si3215 address and init value.
type irDef struct {
	a3210, a3215 uint8 // a3215 = absent3215 when the Si3215 lacks it
	name         string
	value        uint16
}

const absent3215 = 255

// irTable is DAHDI's indirect-register initialisation table (wctdm.c
// indirect_regs[], identical in wctdm24xxp/base.c), with the Si3215 address
// translation of the ProSLIC API possibleAddressCorrect (fxs-brief §1.4).
// The ring entries are overwritten by the ring generator setup.
var irTable = [...]irDef{
	{0, absent3215, "DTMF_ROW_0_PEAK", 0x55C2},
	{1, absent3215, "DTMF_ROW_1_PEAK", 0x51E6},
	{2, absent3215, "DTMF_ROW2_PEAK", 0x4B85},
	{3, absent3215, "DTMF_ROW3_PEAK", 0x4937},
	{4, absent3215, "DTMF_COL1_PEAK", 0x3333},
	{5, absent3215, "DTMF_FWD_TWIST", 0x0202},
	{6, absent3215, "DTMF_RVS_TWIST", 0x0202},
	{7, absent3215, "DTMF_ROW_RATIO", 0x0198},
	{8, absent3215, "DTMF_COL_RATIO", 0x0198},
	{9, absent3215, "DTMF_ROW_2ND_HARM", 0x0611},
	{10, absent3215, "DTMF_COL_2ND_HARM", 0x0202},
	{11, absent3215, "DTMF_PWR_MIN", 0x00E5},
	{12, absent3215, "DTMF_HOT_LIM", 0x0A1C},
	{13, 0, "OSC1_COEF", 0x7B30},
	{14, 1, "OSC1X", 0x0063},
	{15, 2, "OSC1Y", 0x0000},
	{16, 3, "OSC2_COEF", 0x7870},
	{17, 4, "OSC2X", 0x007D},
	{18, 5, "OSC2Y", 0x0000},
	{19, 6, "RING_V_OFF", 0x0000},
	{20, 7, "RING_OSC", 0x7EF0},
	{21, 8, "RING_X", 0x0160},
	{22, 9, "RING_Y", 0x0000},
	{23, absent3215, "PULSE_ENVEL", 0x2000},
	{24, absent3215, "PULSE_X", 0x2000},
	{25, absent3215, "PULSE_Y", 0x0000},
	{26, 13, "RECV_DIGITAL_GAIN", 0x4000}, // 0 dB (API default); DAHDI lowers playback to 0x2000, the PBX sets levels itself
	{27, 14, "XMIT_DIGITAL_GAIN", 0x4000},
	{28, 15, "LOOP_CLOSE_TRES", 0x1000},
	{29, 16, "RING_TRIP_TRES", 0x3600},
	{30, 17, "COMMON_MIN_TRES", 0x1000},
	{31, 18, "COMMON_MAX_TRES", 0x0200},
	{32, 19, "PWR_ALARM_Q1Q2", 0x07C0},
	{33, 20, "PWR_ALARM_Q3Q4", 0x2600},
	{34, 21, "PWR_ALARM_Q5Q6", 0x1B80},
	{35, 22, "LOOP_CLOSURE_FILTER", 0x8000},
	{36, 23, "RING_TRIP_FILTER", 0x0320},
	{37, 24, "THERM_LP_POLE_Q1Q2", 0x008C},
	{38, 25, "THERM_LP_POLE_Q3Q4", 0x0100},
	{39, 26, "THERM_LP_POLE_Q5Q6", 0x0010},
	{40, 27, "CM_BIAS_RINGING", 0x0C00},
	{41, 64, "DCDC_MIN_V", 0x0C00},
	{42, absent3215, "DCDC_XTRA", 0x1000},
	{43, 66, "LOOP_CLOSE_TRES_LOW", 0x1000},
}

// IRName names a Si3210-numbered indirect register, or "".
func IRName(a IR) string {
	for _, d := range irTable {
		if d.a3210 == uint8(a) {
			return d.name
		}
	}
	return ""
}

// translate3215 maps a Si3210 indirect address onto the Si3215/16 map
// (ProSLIC API possibleAddressCorrect); ok is false when the Si3215 lacks it.
func translate3215(a IR) (uint8, bool) {
	switch {
	case a >= 13 && a <= 40:
		return uint8(a) - 13, true
	case a == 41:
		return 64, true
	case a == 43:
		return 66, true
	case a >= 88 && a <= 98:
		return uint8(a) - 13, true
	case a >= 99 && a <= 104:
		return uint8(a) - 30, true
	case a >= 208:
		return uint8(a), true
	}
	return 0, false
}

// regNames names direct registers for traces and the register dump.
var regNames = [...]string{
	0: "SPI_MODE", 1: "PCM_MODE", 2: "PCM_TX_LO", 3: "PCM_TX_HI", 4: "PCM_RX_LO", 5: "PCM_RX_HI",
	6: "DIO", 8: "LOOPBACK", 9: "AUDIO_GAIN", 10: "IMPEDANCE", 11: "HYBRID", 14: "PWR_DOWN1",
	15: "PWR_DOWN2", 18: "IRQ_STATUS1", 19: "IRQ_STATUS2", 20: "IRQ_STATUS3", 21: "IRQ_MASK1",
	22: "IRQ_MASK2", 23: "IRQ_MASK3", 24: "DTMF_DIGIT", 28: "IDA_LO", 29: "IDA_HI", 30: "IAA",
	31: "I_STATUS", 32: "OSC1", 33: "OSC2", 34: "RING_OSC_CTL", 48: "RING_ON_LO", 49: "RING_ON_HI",
	50: "RING_OFF_LO", 51: "RING_OFF_HI", 52: "FSK_DATA", 64: "LINEFEED", 65: "BIAS_SQUELCH",
	66: "BAT_FEED", 67: "AUTO", 68: "LOOP_STAT", 69: "LOOP_DEBOUNCE", 70: "RT_DEBOUNCE",
	71: "LOOP_I_LIMIT", 72: "VOC", 73: "VCM", 74: "VBATH", 75: "VBATL", 78: "LOOP_V", 79: "LOOP_I",
	80: "TIP_V", 81: "RING_V", 82: "VBATH_SENSE", 83: "VBATL_SENSE", 88: "IQ5", 89: "IQ6",
	92: "DCDC_PWM", 93: "DCDC", 96: "CALIBR1", 97: "CALIBR2", 98: "CAL_RING_GAIN", 99: "CAL_TIP_GAIN",
	100: "CAL_DIFF_I", 101: "CAL_COMMON_I", 102: "CAL_ILIM_GAIN", 103: "CAL_ADC_OFFSET",
	104: "CAL_DAC_ADC_OFFSET", 105: "CAL_DAC_OFFSET", 106: "CAL_COMMON_BAL", 107: "CAL_DC_PEAK", 108: "REVC",
}

// RegName names a direct register, or "".
func RegName(r uint8) string {
	if int(r) < len(regNames) {
		return regNames[r]
	}
	return ""
}

// Registers lists the direct registers worth dumping, in order.
func Registers() []uint8 {
	var out []uint8
	for r, n := range regNames {
		if n != "" {
			out = append(out, uint8(r))
		}
	}
	return out
}
