package si321x

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// Power-up and calibration limits.
const (
	// vbatReady: reg 82 must reach 0xC0 (≈72 V) within 500 ms of enabling
	// the DC-DC converter (DAHDI wctdm_powerup_proslic).
	vbatReady   = 0xC0
	vbatTimeout = 500 * time.Millisecond
	// leakLimit: with the converter off and the line open, VBAT falling
	// below 6 (≈2.3 V) within 500 ms means excessive leakage (DAHDI
	// wctdm_proslic_powerleak_test).
	leakLimit   = 0x06
	leakWindow  = 500 * time.Millisecond
	calTimeout  = 2 * time.Second // reg 96 must clear (DAHDI 2 s; the API allows 800 ms)
	dcdcTimeout = time.Second     // reg 93 bit 7 must clear (API, 100 ms steps)
	// dcPeakLo/Hi: DAHDI forces reg 107 to 0x08 when DC-DC calibration
	// leaves it outside 2..0x0D.
	dcPeakLo, dcPeakHi, dcPeakDefault = 0x02, 0x0D, 0x08
)

// Init powers the line up and leaves it in forward active: the sequence of
// DAHDI wctdm_init_proslic (fast = 0), which follows AN35 as the ProSLIC API
// does (fxs-brief §1.5). Each step's failure is returned wrapped with the step.
func (d *Dev) Init() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	steps := [...]struct {
		name string
		fn   func() error
	}{
		{"converter off", func() error { return d.writeReg(RegPowerDown1, PowerDownDCDC) }},
		{"indirect registers", d.loadIRs},
		{"line setup", d.lineSetup},
		{"flush filters", d.flushFilters},
		{"power up", d.powerUp},
		{"leakage test", d.leakageTest},
		{"power up again", d.powerUp},
		{"calibration", d.calibrate},
		{"restore filters", d.restoreFilters},
		{"verify", d.verifyIRs},
		{"pcm", d.setPCM},
		{"interrupts", d.setInterrupts},
		{"ring generator", d.setRing},
		{"linefeed", func() error { return d.setLinefeed(proslic.ForwardActive) }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("si321x: init %s: %s: %w", d.part, s.name, err)
		}
	}
	return nil
}

// loadIRs writes DAHDI's indirect-register table (entries the Si3215 lacks are
// skipped), then clears IR 97, a scratch register (DAHDI step 2).
func (d *Dev) loadIRs() error {
	for _, e := range irTable {
		if d.part.Is3215() && e.a3215 == absent3215 {
			continue
		}
		if err := d.writeIR(IR(e.a3210), e.value); err != nil {
			return err
		}
	}
	return d.writeIR(IRScratch97, 0)
}

// lineSetup clears loopback, enables the rev C enhancements, sets the
// automatic actions and turns Q7 off (DAHDI step 3): reg 8 = 0, reg 108 =
// 0xEB, reg 67 = 0x07 (auto open on alarm, auto loop closure, auto ring trip;
// no automatic battery switching), reg 66 = 1.
func (d *Dev) lineSetup() error {
	for _, w := range [...][2]uint8{
		{RegLoopback, 0x00},
		{RegRevC, 0xEB},
		{RegAuto, AutoOpenOnAlarm | AutoLoopClosure | AutoRingTrip},
		{RegBatFeed, 0x01},
	} {
		if err := d.writeReg(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// flushValue is written to IR 35..39 during power-up and calibration to
// flush the filters (DAHDI step 4).
const flushValue = 0x8000

func (d *Dev) flushFilters() error {
	for a := IRLoopCloseFilt; a <= IRThermQ5Q6; a++ {
		if err := d.writeIR(a, flushValue); err != nil {
			return err
		}
	}
	return nil
}

// restoreFilters writes IR 35..39 back to the table values (DAHDI step 10).
func (d *Dev) restoreFilters() error {
	for _, e := range irTable {
		if a := IR(e.a3210); a >= IRLoopCloseFilt && a <= IRThermQ5Q6 {
			if err := d.writeIR(a, e.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// powerUp starts the DC-DC converter and waits for the battery (DAHDI
// wctdm_powerup_proslic): PWM period 0xFF first "to prevent voltage
// runaway" (API; 0x60 on M parts), converter on, then reg 82 ≥ 0xC0 within
// 500 ms; then the loop current limit and the converter's minimum off time
// (reg 93 = 0x19; API 0x38 on M parts).
func (d *Dev) powerUp() error {
	pwm, off := byte(0xFF), byte(0x19)
	if d.part.M() {
		pwm, off = 0x60, 0x38
	}
	if err := d.writeReg(RegDCDCPWM, pwm); err != nil {
		return err
	}
	if err := d.writeReg(RegPowerDown1, 0); err != nil {
		return err
	}
	var v byte
	for i := 0; ; i++ {
		var err error
		if v, err = d.readReg(RegVBATHSense); err != nil {
			return err
		}
		if v >= vbatReady {
			break
		}
		if time.Duration(i)*d.opts.Poll >= vbatTimeout {
			return fmt.Errorf("%w: VBAT %.1f V after %v (is the converter's supply connected?)",
				ErrDCDC, senseVolts(v), vbatTimeout)
		}
		d.sleep.Sleep(d.opts.Poll)
	}
	if err := d.writeReg(RegLoopILimit, byte((d.opts.LoopCurrent-20)/3)); err != nil {
		return err
	}
	return d.writeReg(RegDCDC, off)
}

// leakageTest opens the line, turns the converter off and watches the
// battery decay for 500 ms (DAHDI wctdm_proslic_powerleak_test).
func (d *Dev) leakageTest() error {
	if err := d.writeReg(RegLinefeed, uint8(proslic.Open)); err != nil {
		return err
	}
	if err := d.writeReg(RegPowerDown1, PowerDownDCDC); err != nil {
		return err
	}
	for i := 0; time.Duration(i)*d.opts.Poll < leakWindow; i++ {
		v, err := d.readReg(RegVBATHSense)
		if err != nil {
			return err
		}
		if v < leakLimit {
			return fmt.Errorf("%w: VBAT fell to %.1f V within %v of the converter turning off",
				ErrLeakage, senseVolts(v), time.Duration(i)*d.opts.Poll)
		}
		d.sleep.Sleep(d.opts.Poll)
	}
	return nil
}

// calibrate runs the automatic calibrations (DAHDI wctdm_proslic_calibrate:
// reg 97 = 0x1F, reg 96 = 0x5F, reg 96 must clear; retried once), then the
// DC-DC calibration (reg 93 bit 7, DAHDI step 8) and keeps the results.
func (d *Dev) calibrate() error {
	var err error
	for range 2 {
		if err = d.autoCal(); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	if err := d.dcdcCal(); err != nil {
		return err
	}
	for i := range d.cal {
		v, err := d.readReg(RegCal1 + uint8(i))
		if err != nil {
			return err
		}
		d.cal[i] = v
	}
	return nil
}

func (d *Dev) autoCal() error {
	if err := d.writeReg(RegCal2, 0x1F); err != nil {
		return err
	}
	if err := d.writeReg(RegCal1, 0x5F); err != nil {
		return err
	}
	return d.pollClear(RegCal1, 0xFF, calTimeout)
}

func (d *Dev) dcdcCal() error {
	off := byte(0x19)
	if d.part.M() {
		off = 0x38
	}
	if err := d.writeReg(RegDCDC, DCDCCalStart|off); err != nil {
		return err
	}
	if err := d.pollClear(RegDCDC, DCDCCalStart, dcdcTimeout); err != nil {
		return err
	}
	v, err := d.readReg(RegDCPeakCal)
	if err != nil {
		return err
	}
	if v < dcPeakLo || v > dcPeakHi {
		return d.writeReg(RegDCPeakCal, dcPeakDefault)
	}
	return nil
}

// pollClear polls reg until reg&mask reads 0, at most timeout.
func (d *Dev) pollClear(reg, mask uint8, timeout time.Duration) error {
	for i := 0; ; i++ {
		v, err := d.readReg(reg)
		if err != nil {
			return err
		}
		if v&mask == 0 {
			return nil
		}
		if time.Duration(i)*d.opts.Poll >= timeout {
			return fmt.Errorf("%w: reg %d still %#02x after %v", ErrCalibration, reg, v, timeout)
		}
		d.sleep.Sleep(d.opts.Poll)
	}
}

// Calibrate reruns the calibrations on a powered line: linefeed open,
// calibrate, then the linefeed as it was.
func (d *Dev) Calibrate() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	lf, err := d.readReg(RegLinefeed)
	if err != nil {
		return err
	}
	if err := d.writeReg(RegLinefeed, uint8(proslic.Open)); err != nil {
		return err
	}
	if err := d.flushFilters(); err != nil {
		return err
	}
	if err := d.calibrate(); err != nil {
		return err
	}
	if err := d.restoreFilters(); err != nil {
		return err
	}
	return d.writeReg(RegLinefeed, lf&7)
}

// Calibration returns the calibration registers 96..107 as last read.
func (d *Dev) Calibration() [12]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cal
}

// verifyIRs reads every indirect register of the table back (DAHDI step 10).
func (d *Dev) verifyIRs() error {
	for _, e := range irTable {
		if d.part.Is3215() && e.a3215 == absent3215 {
			continue
		}
		v, err := d.readIR(IR(e.a3210))
		if err != nil {
			return err
		}
		if v != e.value {
			return fmt.Errorf("%w: IR %d %s = %#04x, want %#04x", ErrVerify, e.a3210, e.name, v, e.value)
		}
	}
	return nil
}

// setPCM programs the time slots before enabling PCM: changing slots with PCM
// running can put loud noise on the line (Si3220 datasheet, fxs-brief §1.10).
func (d *Dev) setPCM() error {
	o := d.opts
	for _, w := range [...][2]uint8{
		{RegPCMTxLo, byte(o.TxStart)}, {RegPCMTxHi, byte(o.TxStart >> 8)},
		{RegPCMRxLo, byte(o.RxStart)}, {RegPCMRxHi, byte(o.RxStart >> 8)},
		{RegPCMMode, byte(o.Format) << PCMFormatShift},
		{RegPCMMode, byte(o.Format)<<PCMFormatShift | PCMEnable},
	} {
		if err := d.writeReg(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// setInterrupts clears pending interrupts (write 1 to clear), unmasks ring
// trip, loop closure and the six power alarms (reg 22 = 0xFF, as
// wctdm24xxp), masks the timer and DTMF interrupts, and sets the loop
// closure debounce (reg 69 = 0x04, wctdm24xxp) and common-mode voltage
// (reg 73 = 0x04, DAHDI step 11).
func (d *Dev) setInterrupts() error {
	for _, w := range [...][2]uint8{
		{RegIrqStatus1, 0xFF}, {RegIrqStatus2, 0xFF}, {RegIrqStatus3, 0xFF},
		{RegIrqMask1, 0x00}, {RegIrqMask2, 0xFF}, {RegIrqMask3, 0x00},
		{RegLoopDebounce, 0x04}, {RegVCM, 0x04},
	} {
		if err := d.writeReg(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

func senseVolts(v byte) float64 { return float64(v) * SenseMillivoltsPerLSB / 1000 }
