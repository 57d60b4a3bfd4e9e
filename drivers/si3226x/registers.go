package si3226x

// Registers (si3226_registers.h enum order; fxs-brief §2.2).
const (
	RegID        = 0
	RegReset     = 1
	RegRAMStat   = 4 // [0] RAM access busy
	RegRAMAddrHi = 5 // RAM address bits 10:8 in [7:5]
	RegRAMData0  = 6 // RAM data bits 4:0 in [7:3]
	RegRAMData1  = 7
	RegRAMData2  = 8
	RegRAMData3  = 9
	RegRAMAddrLo = 10 // writing it starts the RAM access
	RegPCMMode   = 11 // [1:0] format, [4] enable, [5] tristate edge
	RegPCMTxLo   = 12
	RegPCMTxHi   = 13
	RegPCMRxLo   = 14
	RegPCMRxHi   = 15
	RegIRQ       = 16
	RegIRQ1      = 18 // read clears (SPI mode)
	RegIRQ2      = 19
	RegIRQ3      = 20
	RegIRQ4      = 21
	RegIRQEn1    = 22
	RegIRQEn2    = 23
	RegIRQEn3    = 24
	RegIRQEn4    = 25
	RegCALR0     = 26
	RegCALR1     = 27
	RegCALR2     = 28
	RegCALR3     = 29 // [7] calibration start/busy
	RegLinefeed  = 30 // [2:0] requested, [6:4] actual [verify the shadow layout against the Si3226x datasheet]
	RegPolRev    = 31
	RegLCRRTP    = 34 // [1] LCR off-hook, [2] RTP ring trip [verify], [7:4] read 0
	RegRingCon   = 38
	RegRingTALo  = 39
	RegRingTAHi  = 40
	RegRingTILo  = 41
	RegRingTIHi  = 42
	RegLoopback  = 43
	RegDigCon    = 44
	RegEnhance   = 47
	RegGPIOCfg1  = 68
	RegCMClamp   = 73
	RegAuto      = 80
	RegJmpEn     = 81
	RegPDN       = 98
	RegUserMode  = 126 // unlock sequence 2, 8, 0x0E, 0; [0] user mode on
)

// Bits.
const (
	RAMBusy        = 0x01
	PCMEnable      = 0x10
	CalBusy        = 0x80
	LCRRTPLoop     = 0x02 // API Si3226_ReadHookStatus: LCRRTP & 2
	LCRRTPRingTrip = 0x04
	LCRRTPUnused   = 0xF0 // card_fxs.c treats bits 7:4 as always 0
	IRQ2RingTrip   = 0x01 // API IRQ_RING_TRIP_SI3226 = IRQ2.0
	IRQ2LoopStat   = 0x02 // IRQ2.1
	IRQ3Power      = 0x3F // P_HVIC, P_THERM, PQ3..PQ6 (IRQ3.0..5)
	RingTimers     = 0x18 // RINGCON active/inactive timer enable [verify]
)

// RAM addresses (si3226_registers.h; anchored by card_fxs.c SLOPE_VLIM = 634
// and VBATH_EXPECT = 767).
const (
	RAMMADCVBat    = 3
	RAMMADCILoop   = 10
	RAMVTip        = 12
	RAMVRing       = 13
	RAMUnused449   = 449 // scratch: the API's control-interface test
	RAMSlopeVLim   = 634
	RAMZCalFix746  = 746
	RAMVBathExpect = 767
	RAMRingOf      = 843
	RAMRingFr      = 844
	RAMRingAmp     = 845
	RAMRingPhas    = 846
	RAMRTDCTH      = 847
	RAMRTACTH      = 848
	RAMRTDCDB      = 849
	RAMRTACDB      = 850
	RAMZCalFix927  = 927
	RAMLkgOHT      = 1537 // user mode
	RAMPDDCDC      = 1538 // user mode
	RAMDCDCStatus  = 1551 // user mode
	RAMUserFirst   = 1024 // RAM from here needs user mode
	RAMWords       = 2048
)

// Scales. MADC voltages: 5 V = 0x51EB82 (API COMP_5V), i.e. 2^30/1000 LSB per
// volt; the API checks VBATH_EXPECT (120 V = 0x7AE147A) against MADC_VBAT in
// the same units. The loop current is taken on the same scale per mA [verify].
const (
	VoltLSB     = 1.0e3 / (1 << 30) // V per LSB
	MilliampLSB = 1.0e3 / (1 << 30) // mA per LSB [verify]
	// comp5V is the API's 5 V margin below VBATH_EXPECT for "converter up".
	comp5V = 0x51EB82
)

// regNames names registers for traces and dumps.
var regNames = [...]string{
	0: "ID", 1: "RESET", 4: "RAMSTAT", 5: "RAM_ADDR_HI", 6: "RAM_DATA_B0", 7: "RAM_DATA_B1",
	8: "RAM_DATA_B2", 9: "RAM_DATA_B3", 10: "RAM_ADDR_LO", 11: "PCMMODE", 12: "PCMTXLO", 13: "PCMTXHI",
	14: "PCMRXLO", 15: "PCMRXHI", 16: "IRQ", 18: "IRQ1", 19: "IRQ2", 20: "IRQ3", 21: "IRQ4",
	22: "IRQEN1", 23: "IRQEN2", 24: "IRQEN3", 25: "IRQEN4", 26: "CALR0", 27: "CALR1", 28: "CALR2",
	29: "CALR3", 30: "LINEFEED", 31: "POLREV", 34: "LCRRTP", 38: "RINGCON", 39: "RINGTALO",
	40: "RINGTAHI", 41: "RINGTILO", 42: "RINGTIHI", 43: "LOOPBACK", 44: "DIGCON", 47: "ENHANCE",
	68: "GPIO_CFG1", 73: "CM_CLAMP", 80: "AUTO", 81: "JMPEN", 98: "PDN", 126: "USERMODE_ENABLE",
}

// RegName names a register, or "".
func RegName(r uint8) string {
	if int(r) < len(regNames) {
		return regNames[r]
	}
	return ""
}

// Registers lists the registers worth dumping.
func Registers() []uint8 {
	var out []uint8
	for r, n := range regNames {
		if n != "" {
			out = append(out, uint8(r))
		}
	}
	return out
}

// cid is the channel id field of the control byte: the 5-bit channel number
// bit-reversed (proslic_spi_api.c: ch 1 → 0x10, 2 → 0x08, 3 → 0x18).
func cid(ch uint8) byte {
	return (ch<<4)&0x10 | (ch<<2)&0x08 | ch&0x04 | (ch>>2)&0x02 | (ch>>4)&0x01
}

// Control byte bits (fxs-brief §2.1).
const (
	ctlBroadcast = 0x80
	ctlRead      = 0x40
	ctlReg       = 0x20
)
