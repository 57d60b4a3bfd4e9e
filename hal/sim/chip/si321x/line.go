package si321x

import (
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/chip"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
)

// applyFeedLocked makes the actual state follow the requested one (reg 64
// bits 6:4 mirror bits 2:0), puts the result on the wire and re-evaluates
// the loop detectors.
func (c *Chip) applyFeedLocked() {
	now := c.clk.Now()
	lf := c.regs[rLinefeed] & 7
	c.regs[rLinefeed] = lf | lf<<4
	c.updateLoopLocked()
	lf = c.regs[rLinefeed] & 7
	f := chip.Feed(lf)
	if lf == 4 && c.regs[rRingCtl]&0x18 == 0x18 {
		f = c.cadenceLocked(now)
	}
	if f != c.feed {
		c.feed = f
		c.w.SetFeed(f)
	}
}

// cadenceLocked runs the ring active/inactive timers (125 µs/LSB) and raises
// their interrupts (reg 18 bits 4 and 5) on each expiry.
func (c *Chip) cadenceLocked(now time.Time) hal.Feed {
	on := time.Duration(uint16(c.regs[rRingOnLo])|uint16(c.regs[rRingOnLo+1])<<8) * 125 * time.Microsecond
	off := time.Duration(uint16(c.regs[rRingOffLo])|uint16(c.regs[rRingOffLo+1])<<8) * 125 * time.Microsecond
	active := true
	if on > 0 && off > 0 {
		active = now.Sub(c.ringStart)%(on+off) < on
	}
	if active != c.ringActive {
		if active {
			c.latchLocked(rIrq1, 0x20) // inactive timer expired
		} else {
			c.latchLocked(rIrq1, 0x10) // active timer expired
		}
		c.ringActive = active
	}
	if active {
		return hal.FeedRinging
	}
	return hal.FeedForward
}

// updateLoopLocked runs the loop-closure and ring-trip detectors. Loop
// current flows only in the active and on-hook transmission states; an
// off-hook phone on a ringing line trips the ring, and with AORD (reg 67
// bit 2) the chip returns to forward active by itself.
func (c *Chip) updateLoopLocked() {
	lf := c.regs[rLinefeed] & 7
	if lf == 4 && c.loop && !c.rtp {
		c.rtp = true
		c.latchLocked(rIrq2, 0x01)
		if c.regs[rAuto]&0x04 != 0 {
			c.regs[rLinefeed] = 0x11
			lf = 1
		}
	}
	lcr := c.loop && (lf == 1 || lf == 2 || lf == 5 || lf == 6)
	if lcr != c.lcr {
		c.lcr = lcr
		c.latchLocked(rIrq2, 0x02)
	}
}

// latchLocked sets an interrupt status bit if its mask enables it.
func (c *Chip) latchLocked(reg byte, bit byte) {
	if c.regs[reg+3]&bit != 0 {
		c.regs[reg] |= bit
		c.irqLevelLocked()
	}
}

// alarmLocked raises power alarm q (1..6, transistors Q1..Q6: reg 19 bit
// q+1). With AOPN (reg 67 bit 0) the chip forces the linefeed, requested and
// actual, to open (DAHDI: "reg 64 reads 0 when we did not ask for 0").
func (c *Chip) alarmLocked(q int) {
	c.latchLocked(rIrq2, 1<<(q+1))
	if c.regs[rAuto]&0x01 != 0 {
		c.regs[rLinefeed] = 0
	}
}

// irqLevelLocked drives the active-low INT pin from the unmasked status.
func (c *Chip) irqLevelLocked() {
	pending := c.regs[rIrq1]&c.regs[rMask1] | c.regs[rIrq2]&c.regs[rMask2] | c.regs[rIrq3]&c.regs[rMask3]
	asserted := pending != 0 || c.irqStuck
	if asserted == c.irqAsserted {
		return
	}
	c.irqAsserted = asserted
	if asserted {
		c.edge = true
	}
	if c.irq != nil {
		c.irq.Drive(gpio.Level(!asserted))
	}
}

// unlockAndNotify releases the lock and, if the INT pin fell since the last
// notification, calls the interrupt handler with at. It is used by every
// entry point except SPI frames: a handler runs driver code that does SPI.
func (c *Chip) unlockAndNotify(at time.Time) {
	edge, fn := c.edge, c.onIRQ
	c.edge = false
	c.mu.Unlock()
	if edge && fn != nil {
		fn(at)
	}
}

// OnIRQ sets the interrupt handler, called on every falling edge of INT
// that a line change, a fault or the passing of time causes, with the time
// of the cause. Falling edges caused by SPI writes are seen on the pin only.
func (c *Chip) OnIRQ(fn func(at time.Time)) {
	c.mu.Lock()
	c.onIRQ = fn
	c.mu.Unlock()
}

// loopChanged is the wire's loop detector: the phone's hook switch.
func (c *Chip) loopChanged(closed bool, at time.Time) {
	c.clk.AdvanceTo(at)
	c.mu.Lock()
	c.loop = closed
	if !closed {
		c.rtp = false
	}
	if !c.inReset && c.absent == Present {
		c.applyFeedLocked()
	}
	c.unlockAndNotify(at)
}

// AdvanceTo moves the chip to board time t: cadence timers run.
func (c *Chip) AdvanceTo(t time.Time) {
	c.clk.AdvanceTo(t)
	c.mu.Lock()
	if c.regs[rLinefeed]&7 == 4 {
		c.applyFeedLocked()
	}
	c.unlockAndNotify(t)
}

// pcmFormat decodes reg 1: PCME bit 5, PCMF bits 4:3 (00 A-law, 01 µ-law,
// 11 linear; DAHDI writes 0x28 for µ-law and 0x20 for A-law).
func (c *Chip) pcmFormat() (pcm.Format, bool) {
	v := c.regs[rPCMMode]
	if v&0x20 == 0 {
		return 0, false
	}
	switch v >> 3 & 3 {
	case 0:
		return pcm.ALaw, true
	case 1:
		return pcm.ULaw, true
	case 3:
		return pcm.Linear, true
	}
	return 0, false
}

func (c *Chip) start(lo byte) int {
	return int(c.regs[lo]) | int(c.regs[lo+1]&3)<<8
}

func (c *Chip) gainIR(si3210 byte) uint16 {
	if c.part != Si3210 {
		return c.ir[si3210-13]
	}
	return c.ir[si3210]
}

// gain scales a frame by an IR26/27 digital gain (0x4000 = 0 dB, ProSLIC
// API gainScaleTable_0dB). Unity passes samples untouched.
func gain(f *hal.Frame, g uint16) {
	if g == 0x4000 {
		return
	}
	for i, s := range f {
		v := int32(s) * int32(g) / 0x4000
		f[i] = int16(max(-32768, min(32767, v)))
	}
}

// PCMReceive takes the chip's receive slot off the bus and puts it on the
// line (nothing when PCM is off, the slot is wrong, loopback is on or the
// receive path is muted: reg 8 bits 1 and 4).
func (c *Chip) PCMReceive(b *pcm.Bus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rx = hal.Frame{}
	f, on := c.pcmFormat()
	if on && !c.inReset && c.absent == Present {
		b.ChipReceive(c.start(rPCMRxLo), f, &c.rx)
	}
	out := c.rx
	if c.regs[rLoopback]&0x12 != 0 {
		out = hal.Frame{}
	} else {
		gain(&out, c.gainIR(irRecvGain))
	}
	c.w.Send(&out)
}

// PCMTransmit takes what the phone put on the line and drives the chip's
// transmit slot (the receive slot's audio in digital loopback; silence when
// the transmit path is muted: reg 8 bit 5).
func (c *Chip) PCMTransmit(b *pcm.Bus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, on := c.pcmFormat()
	if !on || c.inReset || c.absent != Present {
		return
	}
	c.w.Receive(&c.tx)
	switch {
	case c.regs[rLoopback]&0x02 != 0:
		c.tx = c.rx
	case c.regs[rLoopback]&0x20 != 0:
		c.tx = hal.Frame{}
	default:
		gain(&c.tx, c.gainIR(irXmitGain))
	}
	b.ChipTransmit(c.start(rPCMTxLo), f, &c.tx)
}

// Faults.

// SetAbsent makes the chip vanish from the bus (or come back).
func (c *Chip) SetAbsent(a Absence) {
	c.mu.Lock()
	c.absent = a
	c.mu.Unlock()
}

// SetCalibrationStuck makes calibrations never complete.
func (c *Chip) SetCalibrationStuck(stuck bool) {
	c.mu.Lock()
	c.calStuck = stuck
	c.mu.Unlock()
}

// SetWeakConverter makes the DC-DC converter stall at half the battery
// voltage (a missing or weak supply).
func (c *Chip) SetWeakConverter(weak bool) {
	c.mu.Lock()
	c.weakDCDC = weak
	c.mu.Unlock()
}

// SetBadDCPeak makes DC-DC calibration leave reg 107 out of range.
func (c *Chip) SetBadDCPeak(bad bool) {
	c.mu.Lock()
	c.badDCPeak = bad
	c.mu.Unlock()
}

// SetLeak puts a resistance across the line (0 = none): loop current on
// hook, and a battery that drains fast when the converter is off.
func (c *Chip) SetLeak(ohms float64) {
	c.mu.Lock()
	c.leakOhms = ohms
	c.mu.Unlock()
}

// PowerAlarm raises one power alarm on transistor q (1..6) at time at.
func (c *Chip) PowerAlarm(q int, at time.Time) {
	c.clk.AdvanceTo(at)
	c.mu.Lock()
	c.alarmLocked(min(max(q, 1), 6))
	c.applyFeedLocked()
	c.unlockAndNotify(at)
}

// SetAlarmOnFeed makes the next n writes of a non-open linefeed raise a power
// alarm at once, as on a shorted line; n < 0: every write until reset to 0.
func (c *Chip) SetAlarmOnFeed(n int) {
	c.mu.Lock()
	c.alarmOnFeed = n
	c.mu.Unlock()
}

// SetIRQStuck holds INT asserted whatever the status (or releases it).
func (c *Chip) SetIRQStuck(stuck bool, at time.Time) {
	c.mu.Lock()
	c.irqStuck = stuck
	c.irqLevelLocked()
	c.unlockAndNotify(at)
}

// Inspection, for tests.

// Reg returns a register's stored value without the side effects of a read.
func (c *Chip) Reg(a byte) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.regs[a]
}

// IR returns an indirect register in the chip's own numbering.
func (c *Chip) IR(a byte) uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ir[a]
}

// Feed returns what the chip puts on the pair.
func (c *Chip) Feed() hal.Feed {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.feed
}

// IRQAsserted reports the INT output.
func (c *Chip) IRQAsserted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.irqAsserted
}

// Part returns the variant.
func (c *Chip) Part() Part { return c.part }
