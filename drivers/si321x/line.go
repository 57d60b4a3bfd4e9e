package si321x

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// SetLinefeed writes the linefeed state (reg 64 LF[2:0]).
func (d *Dev) SetLinefeed(l proslic.Linefeed) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.setLinefeed(l)
}

func (d *Dev) setLinefeed(l proslic.Linefeed) error {
	if !l.Valid() {
		return fmt.Errorf("%w: linefeed %d", ErrBadOption, l)
	}
	return d.writeReg(RegLinefeed, uint8(l))
}

// Linefeed reads reg 64: the state last requested (bits 2:0) and the state
// the chip is actually in (bits 6:4). After a power alarm the chip has forced
// both to open.
func (d *Dev) Linefeed() (requested, actual proslic.Linefeed, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.readReg(RegLinefeed)
	if err != nil {
		return 0, 0, err
	}
	if v&0x88 != 0 {
		return 0, 0, fmt.Errorf("%w: reg 64 reads %#02x", ErrNoChip, v)
	}
	return proslic.Linefeed(v & 7), proslic.Linefeed(v >> 4 & 7), nil
}

// Interrupts reads the three status registers and clears what it read
// (write 1 to clear; the ProSLIC API reads and writes the same value back).
func (d *Dev) Interrupts() (proslic.Interrupts, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var irq proslic.Interrupts
	for i := range 3 {
		reg := RegIrqStatus1 + uint8(i)
		v, err := d.readReg(reg)
		if err != nil {
			return irq, err
		}
		irq.Raw[i] = v
		if v != 0 {
			if err := d.writeReg(reg, v); err != nil {
				return irq, err
			}
		}
	}
	if irq.Raw == [4]byte{0xFF, 0xFF, 0xFF} {
		return proslic.Interrupts{}, fmt.Errorf("%w: interrupt status reads 0xFF", ErrNoChip)
	}
	s2 := irq.Raw[1]
	irq.RingTrip = s2&Irq2RingTrip != 0
	irq.LoopChange = s2&Irq2LoopClosure != 0
	irq.PowerAlarm = s2 >> 2
	return irq, nil
}

// LoopStatus reads reg 68: loop closed (off-hook) and ring trip.
func (d *Dev) LoopStatus() (closed, ringTrip bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.readReg(RegLoopStat)
	if err != nil {
		return false, false, err
	}
	if v&LoopStatUnused != 0 {
		return false, false, fmt.Errorf("%w: reg 68 reads %#02x", ErrNoChip, v)
	}
	return v&LoopStatLCR != 0, v&LoopStatRTP != 0, nil
}

// LoopClosed reports whether the loop is closed (reg 68 LCR).
func (d *Dev) LoopClosed() (bool, error) {
	c, _, err := d.LoopStatus()
	return c, err
}

// SetRing reprograms the ringing generator.
func (d *Dev) SetRing(r Ring) error {
	o := d.opts
	o.Ring = r
	if err := o.fill(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opts.Ring = o.Ring
	return d.setRing()
}

// setRing programs a sine ringing generator (DAHDI
// wctdm_init_ring_generator_mode, "normal"): IR 20 frequency coefficient,
// IR 21 amplitude, IR 22 = 0, IR 19 offset 0, ring-trip threshold IR 29 =
// 0x3600, ring-trip debounce reg 70 = 0x0A (API preset), VBATH reg 74 = 0x32
// (75 V), and reg 34 with the active/inactive timers enabled only when a
// hardware cadence is set.
func (d *Dev) setRing() error {
	r := d.opts.Ring
	for _, w := range [...]struct {
		a IR
		v uint16
	}{
		{IRRingOsc, proslic.RingCoefficient(r.Hz)}, {IRRingX, r.Amplitude}, {IRRingY, 0},
		{IRRingVOff, 0}, {IRRingTripTres, 0x3600},
	} {
		if err := d.writeIR(w.a, w.v); err != nil {
			return err
		}
	}
	ctl := byte(0)
	if r.On > 0 && r.Off > 0 {
		ctl = RingTimersOn
	}
	on, off := proslic.Timer(r.On), proslic.Timer(r.Off)
	for _, w := range [...][2]uint8{
		{RegRingOnLo, byte(on)}, {RegRingOnHi, byte(on >> 8)},
		{RegRingOffLo, byte(off)}, {RegRingOffHi, byte(off >> 8)},
		{RegRingOscCtl, ctl}, {RegRTDebounce, 0x0A}, {RegVBATH, 0x32},
	} {
		if err := d.writeReg(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// neon is DAHDI's neon/HVAC message-waiting mode (wctdm.c
// wctdm_set_ring_generator_mode): a 60 ms on / 190 ms off trapezoid at
// 94.5 V battery that flashes a neon lamp while the linefeed is ringing.
var neon = [...]struct {
	a IR
	v uint16
}{
	{IRRingY, 0x03E8}, {IRRingX, 0x7BEF}, {IRRingOsc, 0x009F}, {IRRingTripTres, 0x4600},
}

// SetNeonMWI turns the neon message-waiting lamp on (high-voltage trapezoid
// pulses with the linefeed ringing) or off (normal ringing generator,
// linefeed forward active).
func (d *Dev) SetNeonMWI(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !on {
		if err := d.setLinefeed(proslic.ForwardActive); err != nil {
			return err
		}
		return d.setRing()
	}
	if err := d.setLinefeed(proslic.ForwardActive); err != nil {
		return err
	}
	for _, w := range neon {
		if err := d.writeIR(w.a, w.v); err != nil {
			return err
		}
	}
	on60, off190 := proslic.Timer(60*time.Millisecond), proslic.Timer(190*time.Millisecond)
	for _, w := range [...][2]uint8{
		{RegRingOscCtl, RingTimersOn | RingTrapezoid}, {RegVBATH, 0x3F},
		{RegRingOnLo, byte(on60)}, {RegRingOnHi, byte(on60 >> 8)},
		{RegRingOffLo, byte(off190)}, {RegRingOffHi, byte(off190 >> 8)},
	} {
		if err := d.writeReg(w[0], w[1]); err != nil {
			return err
		}
	}
	return d.setLinefeed(proslic.Ringing)
}

// Measure reads the line sense registers 78..83.
func (d *Dev) Measure() (proslic.Measurements, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var r [6]byte
	for i := range r {
		v, err := d.readReg(RegLoopVSense + uint8(i))
		if err != nil {
			return proslic.Measurements{}, err
		}
		r[i] = v
	}
	return proslic.Measurements{
		Loop:        senseVolts(r[0]),
		LoopCurrent: float64(r[1]&0x3F) * LoopMicroampsPerLSB / 1000,
		Tip:         senseVolts(r[2]),
		Ring:        senseVolts(r[3]),
		Battery:     senseVolts(r[4]),
		BatteryLow:  senseVolts(r[5]),
	}, nil
}

// LeakageTest reruns the power-up leakage test on a powered line: linefeed
// open, converter off, 500 ms of battery decay, then power up again and back
// to the linefeed as it was.
func (d *Dev) LeakageTest() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	lf, err := d.readReg(RegLinefeed)
	if err != nil {
		return err
	}
	if err := d.leakageTest(); err != nil {
		if perr := d.powerUp(); perr != nil {
			return fmt.Errorf("%w; and power up: %w", err, perr)
		}
		return err
	}
	if err := d.powerUp(); err != nil {
		return err
	}
	return d.writeReg(RegLinefeed, lf&7)
}

// Halt makes the line inert: linefeed open (no battery, no ringing).
func (d *Dev) Halt() error {
	return d.SetLinefeed(proslic.Open)
}
