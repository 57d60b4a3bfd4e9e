package si3226x

import (
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// Timeouts (API si3226_intf.c).
const (
	calTimeout     = 3 * time.Second // TIMEOUT_MADC_CAL / general calibration
	dcdcTimeout    = 2 * time.Second // TIMEOUT_DCDC_UP, 10 ms polls
	dcdcSettle     = 50 * time.Millisecond
	pdDCDCShutdown = 0x900000 // converter shut down after a failed power-up
	pdDCDCOff      = 0x300000 // Si3226_PowerDownConverter
	pdDCDCStart    = 0x700000 // power up with over-voltage clamp and shutdown
	pdDCDCClamp    = 0x600000
	pdDCDCRun      = 0x400000  // over-voltage clamp only
	neonVBATH      = 0x7AE147A // 120 V (API Si3226_MWI)
	neonSlopeVLim  = 0x8000000
	ringTripDCTH   = 0xFFFFFFF // RTDCTH (API sine ring table)
)

// Channel is one line of a Device. It implements the line adapter's chip
// interface (hal/slic).
type Channel struct {
	d   *Device
	n   uint8 // channel id on the chip select
	k   int   // 0 or 1 on the chip
	irq gpio.PinIn

	saved [2]uint32 // VBATH_EXPECT, SLOPE_VLIM while the neon lamp flashes
	neon  bool
}

// String names the channel.
func (c *Channel) String() string { return fmt.Sprintf("%s ch %d", c.d, c.k) }

// Device returns the chip.
func (c *Channel) Device() *Device { return c.d }

// Index is the channel's number on its chip (0 or 1).
func (c *Channel) Index() int { return c.k }

// Init brings the channel up: RAM fix-ups and board tables in user mode, MADC
// calibration, converter power-up, the remaining calibrations, ring
// generator, PCM, interrupts, forward active (API Si3226_Init sequence,
// fxs-brief §2.3). The other channel is not disturbed.
func (c *Channel) Init() error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	steps := [...]struct {
		name string
		fn   func() error
	}{
		{"linefeed open", func() error { return c.d.b.writeReg(c.n, RegLinefeed, uint8(proslic.Open)) }},
		{"general parameters", c.general},
		{"madc calibration", func() error { return c.calibrate([4]byte{0x00, 0x00, 0x01, 0x80}) }},
		{"converter", c.powerUp},
		{"calibration", func() error { return c.calibrate([4]byte{0x00, 0xBF, 0xF8, 0x80}) }},
		{"ring generator", c.setRing},
		{"pcm", c.setPCM},
		{"interrupts", c.setInterrupts},
		{"linefeed", func() error { return c.d.b.writeReg(c.n, RegLinefeed, uint8(proslic.ForwardActive)) }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("si3226x: init %s: %s: %w", c, s.name, err)
		}
	}
	return nil
}

// general writes the API's fix-ups ("fix coefficient for zcal": RAM 746 and
// 927; "fix lkg stndby offset for oht": RAM 1537 in user mode), the board's
// tables and patch, coarse sensors in analog mode (GPIO_CFG1 &0xF9|0x60) and
// the MADC powered in the open state (PDN = 0x80).
func (c *Channel) general() error {
	b := &c.d.b
	if err := b.writeRAM(c.n, RAMZCalFix746, 0x8F00000); err != nil {
		return err
	}
	if err := b.writeRAM(c.n, RAMZCalFix927, 0x1FFE0000); err != nil {
		return err
	}
	if err := b.setUserMode(c.n, true); err != nil {
		return err
	}
	if err := c.userModeWrites(); err != nil {
		return err
	}
	return b.setUserMode(c.n, false)
}

func (c *Channel) userModeWrites() error {
	b := &c.d.b
	if err := b.writeRAM(c.n, RAMLkgOHT, 0x3200000); err != nil {
		return err
	}
	for _, w := range c.d.opts.RAM {
		if err := b.writeRAM(c.n, w.Addr, w.Value); err != nil {
			return err
		}
	}
	if p := c.d.opts.Patch; p != nil {
		if err := c.loadPatch(p); err != nil {
			return err
		}
	}
	v, err := b.readReg(c.n, RegGPIOCfg1)
	if err != nil {
		return err
	}
	if err := b.writeReg(c.n, RegGPIOCfg1, v&0xF9|0x60); err != nil {
		return err
	}
	return b.writeReg(c.n, RegPDN, 0x80)
}

// PRAM address/data RAM words and the jump table (API LoadSi3226Patch).
const (
	pramAddr   = 334 + 0x400
	pramData   = 335 + 0x400
	patchID    = 448 // PATCH_ID [verify]
	jmpTable   = 82  // JMP0LO
	jmpEntries = 8
)

func (c *Channel) loadPatch(p *Patch) error {
	b := &c.d.b
	if err := b.writeReg(c.n, RegJmpEn, 0); err != nil {
		return err
	}
	for i := range 2 * jmpEntries {
		if err := b.writeReg(c.n, uint8(jmpTable+i), 0); err != nil {
			return err
		}
	}
	if err := b.writeRAM(c.n, pramAddr, 0); err != nil {
		return err
	}
	for _, w := range p.Data {
		if err := b.writeRAM(c.n, pramData, w<<9); err != nil {
			return err
		}
	}
	if err := b.writeReg(c.n, RegRAMAddrHi, 0); err != nil {
		return err
	}
	for i, e := range p.Entries {
		if err := b.writeReg(c.n, uint8(jmpTable+2*i), uint8(e)); err != nil {
			return err
		}
		if err := b.writeReg(c.n, uint8(jmpTable+2*i+1), uint8(e>>8)); err != nil {
			return err
		}
	}
	if err := b.writeRAM(c.n, patchID, p.Serial); err != nil {
		return err
	}
	return b.writeReg(c.n, RegJmpEn, 1)
}

// calibrate starts the calibrations in CALR0..3 and waits for CALR3 bit 7
// to clear (API Si3226_Calibrate, 10 ms polls).
func (c *Channel) calibrate(calr [4]byte) error {
	b := &c.d.b
	for i, v := range calr {
		if err := b.writeReg(c.n, RegCALR0+uint8(i), v); err != nil {
			return err
		}
	}
	for i := 0; ; i++ {
		v, err := b.readReg(c.n, RegCALR3)
		if err != nil {
			return err
		}
		if v&CalBusy == 0 {
			return nil
		}
		if time.Duration(i)*c.d.opts.Poll >= calTimeout {
			return fmt.Errorf("%w: CALR3 still %#02x after %v", ErrCalibration, v, calTimeout)
		}
		c.d.sleep.Sleep(c.d.opts.Poll)
	}
}

// powerUp brings the channel's DC-DC converter up (API
// Si3226_PowerUpConverter): in user mode, PD_DCDC 0x700000 then 0x600000,
// 50 ms, clear DCDC_STATUS, PD_DCDC 0x400000, 50 ms, then MADC_VBAT must
// reach VBATH_EXPECT − 5 V within 2 s; if not, the converter is shut down.
func (c *Channel) powerUp() error {
	b := &c.d.b
	if err := b.setUserMode(c.n, true); err != nil {
		return err
	}
	err := c.powerUpLocked()
	if uerr := b.setUserMode(c.n, false); err == nil {
		err = uerr
	}
	return err
}

func (c *Channel) powerUpLocked() error {
	b := &c.d.b
	for _, v := range [...]uint32{pdDCDCStart, pdDCDCClamp} {
		if err := b.writeRAM(c.n, RAMPDDCDC, v); err != nil {
			return err
		}
	}
	c.d.sleep.Sleep(dcdcSettle)
	if err := b.writeRAM(c.n, RAMDCDCStatus, 0); err != nil {
		return err
	}
	if err := b.writeRAM(c.n, RAMPDDCDC, pdDCDCRun); err != nil {
		return err
	}
	c.d.sleep.Sleep(dcdcSettle)
	expect, err := b.readRAM(c.n, RAMVBathExpect)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		v, err := b.readRAM(c.n, RAMMADCVBat)
		if err != nil {
			return err
		}
		if signed29(v) >= signed29(expect)-comp5V {
			return nil
		}
		if time.Duration(i)*10*time.Millisecond >= dcdcTimeout {
			_ = b.writeRAM(c.n, RAMPDDCDC, pdDCDCShutdown)
			return fmt.Errorf("%w: VBAT %.1f V, expected %.1f V (is the converter's supply connected?)",
				ErrDCDC, float64(signed29(v))*VoltLSB, float64(signed29(expect))*VoltLSB)
		}
		c.d.sleep.Sleep(10 * time.Millisecond)
	}
}

// setRing programs a sine ringing generator: RINGFR = ⌊2^27·cos(2πf/1000)⌋,
// RINGAMP from the peak voltage, phase and offset 0, DC ring-trip threshold
// off (0xFFFFFFF) and the debounce of the API's table (0x8000 at 20 Hz,
// 0xA000 at 25 Hz); RINGCON timers only for a hardware cadence.
func (c *Channel) setRing() error {
	b := &c.d.b
	r := c.d.opts.Ring
	db := uint32(0x8000)
	if r.Hz >= 25 {
		db = 0xA000
	}
	for _, w := range [...]RAMWord{
		{RAMRingFr, proslic.RingCoefficientRAM(r.Hz)}, {RAMRingAmp, ringAmp(r.Vpk, r.Hz)},
		{RAMRingPhas, 0}, {RAMRingOf, 0}, {RAMRTDCTH, ringTripDCTH}, {RAMRTACDB, db}, {RAMRTDCDB, db},
	} {
		if err := b.writeRAM(c.n, w.Addr, w.Value); err != nil {
			return err
		}
	}
	ctl := byte(0)
	if r.On > 0 && r.Off > 0 {
		ctl = RingTimers
	}
	on, off := proslic.Timer(r.On), proslic.Timer(r.Off)
	for _, w := range [...][2]uint8{
		{RegRingTALo, byte(on)}, {RegRingTAHi, byte(on >> 8)},
		{RegRingTILo, byte(off)}, {RegRingTIHi, byte(off >> 8)}, {RegRingCon, ctl},
	} {
		if err := b.writeReg(c.n, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// setPCM programs the slots, then enables PCM (PCMMODE bit 4, API PCMStart).
func (c *Channel) setPCM() error {
	o := c.d.opts
	tx, rx := o.TxStart[c.k], o.RxStart[c.k]
	for _, w := range [...][2]uint8{
		{RegPCMTxLo, byte(tx)}, {RegPCMTxHi, byte(tx>>8) & 3},
		{RegPCMRxLo, byte(rx)}, {RegPCMRxHi, byte(rx>>8) & 3},
		{RegPCMMode, byte(o.Format)}, {RegPCMMode, byte(o.Format) | PCMEnable},
	} {
		if err := c.d.b.writeReg(c.n, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// setInterrupts clears what is pending (reads clear) and enables ring trip,
// loop status and the power alarms (P_HVIC, P_THERM, PQ3..PQ6).
func (c *Channel) setInterrupts() error {
	b := &c.d.b
	for r := uint8(RegIRQ1); r <= RegIRQ4; r++ {
		if _, err := b.readReg(c.n, r); err != nil {
			return err
		}
	}
	for _, w := range [...][2]uint8{
		{RegIRQEn1, 0}, {RegIRQEn2, IRQ2RingTrip | IRQ2LoopStat}, {RegIRQEn3, IRQ3Power}, {RegIRQEn4, 0},
	} {
		if err := b.writeReg(c.n, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// SetLinefeed writes LINEFEED.
func (c *Channel) SetLinefeed(l proslic.Linefeed) error {
	if !l.Valid() {
		return fmt.Errorf("%w: linefeed %d", ErrBadOption, l)
	}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	return c.d.b.writeReg(c.n, RegLinefeed, uint8(l))
}

// Linefeed reads LINEFEED: the state requested and the state the channel is in.
func (c *Channel) Linefeed() (requested, actual proslic.Linefeed, err error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	v, err := c.d.b.readReg(c.n, RegLinefeed)
	if err != nil {
		return 0, 0, err
	}
	if v&0x88 != 0 {
		return 0, 0, fmt.Errorf("%w: LINEFEED reads %#02x", ErrNoChip, v)
	}
	return proslic.Linefeed(v & 7), proslic.Linefeed(v >> 4 & 7), nil
}

// Interrupts reads IRQ1..4, which clears them (SPI mode; API
// Si3226_GetInterrupts).
func (c *Channel) Interrupts() (proslic.Interrupts, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	var irq proslic.Interrupts
	for i := range 4 {
		v, err := c.d.b.readReg(c.n, RegIRQ1+uint8(i))
		if err != nil {
			return irq, err
		}
		irq.Raw[i] = v
	}
	if irq.Raw == [4]byte{0xFF, 0xFF, 0xFF, 0xFF} {
		return proslic.Interrupts{}, fmt.Errorf("%w: interrupt status reads 0xFF", ErrNoChip)
	}
	irq.RingTrip = irq.Raw[1]&IRQ2RingTrip != 0
	irq.LoopChange = irq.Raw[1]&IRQ2LoopStat != 0
	irq.PowerAlarm = irq.Raw[2] & IRQ3Power
	return irq, nil
}

// LoopClosed reads LCRRTP bit 1 (API Si3226_ReadHookStatus).
func (c *Channel) LoopClosed() (bool, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	v, err := c.d.b.readReg(c.n, RegLCRRTP)
	if err != nil {
		return false, err
	}
	if v&LCRRTPUnused != 0 {
		return false, fmt.Errorf("%w: LCRRTP reads %#02x", ErrNoChip, v)
	}
	return v&LCRRTPLoop != 0, nil
}

// IRQAsserted reports the interrupt pin (true without one, so callers poll).
func (c *Channel) IRQAsserted() bool {
	if c.irq == nil {
		return true
	}
	return c.irq.Read() == gpio.Low
}

// Halt opens the line.
func (c *Channel) Halt() error { return c.SetLinefeed(proslic.Open) }

// Calibrate reruns the calibrations with the line open, then restores the
// linefeed.
func (c *Channel) Calibrate() error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	b := &c.d.b
	lf, err := b.readReg(c.n, RegLinefeed)
	if err != nil {
		return err
	}
	if err := b.writeReg(c.n, RegLinefeed, 0); err != nil {
		return err
	}
	if err := c.calibrate([4]byte{0x00, 0xBF, 0xF8, 0x80}); err != nil {
		return err
	}
	return b.writeReg(c.n, RegLinefeed, lf&7)
}

// Measure reads the MADC: battery, loop current, tip and ring voltages.
func (c *Channel) Measure() (proslic.Measurements, error) {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	var v [4]float64
	for i, a := range [...]uint16{RAMMADCVBat, RAMMADCILoop, RAMVTip, RAMVRing} {
		r, err := c.d.b.readRAM(c.n, a)
		if err != nil {
			return proslic.Measurements{}, err
		}
		v[i] = float64(signed29(r))
	}
	return proslic.Measurements{
		Battery:     math.Abs(v[0] * VoltLSB),
		LoopCurrent: math.Abs(v[1] * MilliampLSB),
		Tip:         math.Abs(v[2] * VoltLSB),
		Ring:        math.Abs(v[3] * VoltLSB),
		Loop:        math.Abs((v[2] - v[3]) * VoltLSB),
	}, nil
}

// SetNeonMWI flashes a neon lamp by raising the battery to 120 V and the
// voltage-limit slope (API Si3226_MWI), with the linefeed ringing; off
// restores both and forward active. The lamp cannot flash off-hook.
func (c *Channel) SetNeonMWI(on bool) error {
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	b := &c.d.b
	if on == c.neon {
		return nil
	}
	if on {
		v, err := b.readReg(c.n, RegLCRRTP)
		if err != nil {
			return err
		}
		if v&LCRRTPLoop != 0 {
			return fmt.Errorf("%w: neon lamp while off-hook", ErrBadOption)
		}
		for i, a := range [...]uint16{RAMVBathExpect, RAMSlopeVLim} {
			if c.saved[i], err = b.readRAM(c.n, a); err != nil {
				return err
			}
		}
		if err := b.writeRAM(c.n, RAMVBathExpect, neonVBATH); err != nil {
			return err
		}
		if err := b.writeRAM(c.n, RAMSlopeVLim, neonSlopeVLim); err != nil {
			return err
		}
		c.neon = true
		return b.writeReg(c.n, RegLinefeed, uint8(proslic.Ringing))
	}
	if err := b.writeReg(c.n, RegLinefeed, uint8(proslic.ForwardActive)); err != nil {
		return err
	}
	for i, a := range [...]uint16{RAMVBathExpect, RAMSlopeVLim} {
		if err := b.writeRAM(c.n, a, c.saved[i]); err != nil {
			return err
		}
	}
	c.neon = false
	return nil
}
