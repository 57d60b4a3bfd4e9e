package si3226x

import (
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/chip"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
)

// applyLocked mirrors the requested linefeed into the actual state, runs the
// loop detectors and puts the feed on channel k's wire.
func (c *Chip) applyLocked(k int) {
	h := c.ch[k]
	now := c.clk.Now()
	lf := h.regs[rLinefeed] & 7
	if lf == 4 && h.loop && !h.rtp {
		h.rtp = true
		c.latchLocked(k, 1, 0x01) // IRQ2 ring trip
		lf = 1                    // the channel returns to forward active by itself [verify AUTO]
	}
	h.regs[rLinefeed] = lf | lf<<4
	lcr := h.loop && (lf == 1 || lf == 2 || lf == 5 || lf == 6)
	if lcr != h.lcr {
		h.lcr = lcr
		c.latchLocked(k, 1, 0x02) // IRQ2 loop status
	}
	f := chip.Feed(lf)
	if lf == 4 && h.regs[rRingCon]&0x18 == 0x18 {
		f = c.cadenceLocked(k, now)
	}
	if f != h.feed {
		h.feed = f
		h.w.SetFeed(f)
	}
}

func (c *Chip) cadenceLocked(k int, now time.Time) hal.Feed {
	h := c.ch[k]
	ta := time.Duration(uint16(h.regs[rRingTALo])|uint16(h.regs[rRingTALo+1])<<8) * 125 * time.Microsecond
	ti := time.Duration(uint16(h.regs[rRingTILo])|uint16(h.regs[rRingTILo+1])<<8) * 125 * time.Microsecond
	on := ta == 0 || ti == 0 || now.Sub(h.ringAt)%(ta+ti) < ta
	if on != h.ringOn {
		bit := byte(0x10) // IRQ1 RING_T1: active timer expired
		if on {
			bit = 0x20
		}
		c.latchLocked(k, 0, bit)
		h.ringOn = on
	}
	if on {
		return hal.FeedRinging
	}
	return hal.FeedForward
}

// latchLocked sets bit of IRQn (n 0..3) when its enable is set.
func (c *Chip) latchLocked(k, n int, bit byte) {
	h := c.ch[k]
	if h.regs[rIRQEn1+n]&bit != 0 {
		h.regs[rIRQ1+n] |= bit
		c.levelLocked()
	}
}

// alarmLocked raises power alarm bit b of IRQ3 and opens the line.
func (c *Chip) alarmLocked(k int, b byte) {
	c.latchLocked(k, 2, b)
	c.ch[k].regs[rLinefeed] = 0
}

// levelLocked drives the shared active-low INT pin.
func (c *Chip) levelLocked() {
	pending := c.stuckIRQ
	for _, h := range c.ch {
		for n := range 4 {
			pending = pending || h.regs[rIRQ1+n] != 0
		}
	}
	if pending == c.asserted {
		return
	}
	c.asserted = pending
	if pending {
		c.edge = true
	}
	if c.irq != nil {
		c.irq.Drive(gpio.Level(!pending))
	}
}

func (c *Chip) unlockAndNotify(at time.Time) {
	edge, fn := c.edge, c.onIRQ
	c.edge = false
	c.mu.Unlock()
	if edge && fn != nil {
		fn(at)
	}
}

// OnIRQ sets the interrupt handler, called when INT falls because of a line
// change, a fault or time; falls caused by SPI writes show on the pin only.
func (c *Chip) OnIRQ(fn func(at time.Time)) {
	c.mu.Lock()
	c.onIRQ = fn
	c.mu.Unlock()
}

func (c *Chip) loopChanged(k int, closed bool, at time.Time) {
	c.clk.AdvanceTo(at)
	c.mu.Lock()
	h := c.ch[k]
	h.loop = closed
	if !closed {
		h.rtp = false
	}
	if !c.inReset && !c.absent {
		c.applyLocked(k)
	}
	c.unlockAndNotify(at)
}

// AdvanceTo moves the chip to board time t.
func (c *Chip) AdvanceTo(t time.Time) {
	c.clk.AdvanceTo(t)
	c.mu.Lock()
	for k, h := range c.ch {
		if h.regs[rLinefeed]&7 == 4 {
			c.applyLocked(k)
		}
	}
	c.unlockAndNotify(t)
}

func (c *Chip) format(k int) (pcm.Format, bool) {
	v := c.ch[k].regs[rPCMMode]
	if v&0x10 == 0 {
		return 0, false
	}
	switch v & 3 {
	case 0:
		return pcm.ALaw, true
	case 1:
		return pcm.ULaw, true
	case 3:
		return pcm.Linear, true
	}
	return 0, false
}

func (c *Chip) start(k int, lo byte) int {
	h := c.ch[k]
	return int(h.regs[lo]) | int(h.regs[lo+1]&3)<<8
}

// PCMReceive takes both channels' receive slots to their lines.
func (c *Chip) PCMReceive(b *pcm.Bus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, h := range c.ch {
		h.rx = hal.Frame{}
		if f, on := c.format(k); on && !c.inReset && !c.absent {
			b.ChipReceive(c.start(k, rPCMRxLo), f, &h.rx)
		}
		h.w.Send(&h.rx)
	}
}

// PCMTransmit puts both lines' audio in their transmit slots.
func (c *Chip) PCMTransmit(b *pcm.Bus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, h := range c.ch {
		f, on := c.format(k)
		if !on || c.inReset || c.absent {
			continue
		}
		h.w.Receive(&h.tx)
		b.ChipTransmit(c.start(k, rPCMTxLo), f, &h.tx)
	}
}

// Faults.

// SetAbsent makes the chip vanish from the bus (reads float high).
func (c *Chip) SetAbsent(a bool) {
	c.mu.Lock()
	c.absent = a
	c.mu.Unlock()
}

// SetCalibrationStuck makes calibrations never complete.
func (c *Chip) SetCalibrationStuck(s bool) {
	c.mu.Lock()
	c.calStuck = s
	c.mu.Unlock()
}

// SetWeakConverter stalls the converters at half the expected battery.
func (c *Chip) SetWeakConverter(w bool) {
	c.mu.Lock()
	c.weak = w
	c.mu.Unlock()
}

// PowerAlarm raises a power alarm (PQ3) on channel k at time at.
func (c *Chip) PowerAlarm(k int, at time.Time) {
	c.clk.AdvanceTo(at)
	c.mu.Lock()
	c.alarmLocked(k, 0x04)
	c.applyLocked(k)
	c.unlockAndNotify(at)
}

// SetAlarmOnFeed makes the next n non-open linefeed writes on channel k
// alarm at once (n < 0: all of them).
func (c *Chip) SetAlarmOnFeed(k, n int) {
	c.mu.Lock()
	c.ch[k].alarmOn = n
	c.mu.Unlock()
}

// SetIRQStuck holds INT asserted.
func (c *Chip) SetIRQStuck(s bool, at time.Time) {
	c.mu.Lock()
	c.stuckIRQ = s
	c.levelLocked()
	c.unlockAndNotify(at)
}

// Inspection, for tests.

// Reg returns channel k's register without side effects.
func (c *Chip) Reg(k int, a byte) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch[k].regs[a]
}

// RAM returns channel k's stored RAM word.
func (c *Chip) RAM(k int, a uint16) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch[k].ram[a]
}

// UserMode reports whether channel k is in user mode.
func (c *Chip) UserMode(k int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch[k].user
}
