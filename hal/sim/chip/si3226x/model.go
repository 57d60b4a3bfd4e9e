package si3226x

import (
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/gpiosim"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

// Register and RAM numbers the model gives meaning to (si3226_registers.h
// order, transcribed independently of the driver).
const (
	rID, rRAMStat, rAddrHi, rData0, rAddrLo = 0, 4, 5, 6, 10
	rPCMMode, rPCMTxLo, rPCMRxLo            = 11, 12, 14
	rIRQ1, rIRQEn1, rCALR3, rLinefeed       = 18, 22, 29, 30
	rLCRRTP, rRingCon, rRingTALo, rRingTILo = 34, 38, 39, 41
	rUserMode                               = 126
	numRegs                                 = 128

	mVBat, mILoop, mVTip, mVRing = 3, 10, 12, 13
	mVBathExpect                 = 767
	mPDDCDC                      = 1538
	userRAM                      = 1024
	numRAM                       = 2048

	voltLSB      = 1 << 30 / 1000.0 // LSB per volt (API COMP_5V = 0x51EB82)
	rampRate     = 750.0            // V/s
	madcCal      = 50 * time.Millisecond
	generalCal   = 300 * time.Millisecond
	defaultVBath = 0x2B10A20 // VBATH_EXPECT at reset (card_fxs.c "default")
	ilimMA       = 20.0
	phoneOhms    = 300.0
)

// Options build a chip.
type Options struct {
	ID           byte // ID register; default 0x04 (Si32260 rev E)
	FirstChannel uint8
	Clock        *simclock.Clock
	Wires        [2]*wire.Wire
	Reset        *gpiosim.Pin
	IRQ          *gpiosim.Pin // shared by both channels
}

type channel struct {
	regs        [numRegs]byte
	ram         [numRAM]uint32
	user        bool
	unlock      int // position in the user-mode sequence
	busy        int
	calEnd      time.Time
	calBusy     bool
	dcdcOn      bool
	vbatAt      time.Time
	vbat0       float64
	loop        bool
	lcr         bool
	rtp         bool
	ringAt      time.Time
	ringOn      bool
	feed        hal.Feed
	w           *wire.Wire
	rx, tx      hal.Frame
	alarmOn     int
	dataWritten bool
}

// Chip is a simulated Si3226x: a spisim.Device and two lines.
type Chip struct {
	id    byte
	first uint8
	clk   *simclock.Clock
	irq   *gpiosim.Pin

	mu       sync.Mutex
	ch       [2]*channel
	phase    int
	ctl      byte
	addr     byte
	inReset  bool
	absent   bool
	calStuck bool
	weak     bool
	stuckIRQ bool
	asserted bool
	edge     bool
	onIRQ    func(time.Time)
	violated []string
}

var _ spisim.Device = (*Chip)(nil)

// New builds a chip fresh out of reset with a line on each channel.
func New(o Options) (*Chip, error) {
	if o.Clock == nil || o.Wires[0] == nil || o.Wires[1] == nil {
		return nil, fmt.Errorf("si3226x model: clock and both wires are required")
	}
	if o.ID == 0 {
		o.ID = 0x04
	}
	c := &Chip{id: o.ID, first: o.FirstChannel, clk: o.Clock, irq: o.IRQ}
	for k := range c.ch {
		c.ch[k] = &channel{w: o.Wires[k]}
		k := k
		o.Wires[k].OnLoop(func(closed bool, at time.Time) { c.loopChanged(k, closed, at) })
	}
	c.resetLocked()
	if o.Reset != nil {
		o.Reset.OnOut(func(l gpio.Level) {
			c.mu.Lock()
			c.inReset = l == gpio.Low
			c.resetLocked()
			c.mu.Unlock()
		})
	}
	return c, nil
}

func (c *Chip) resetLocked() {
	now := c.clk.Now()
	for _, h := range c.ch {
		w := h.w
		*h = channel{w: w, vbatAt: now}
		h.regs[rID] = c.id
		h.ram[mVBathExpect] = defaultVBath
		h.feed = hal.FeedOpen
		w.SetFeed(hal.FeedOpen)
	}
	c.phase = 0
	c.levelLocked()
}

func (c *Chip) violation(format string, a ...any) {
	c.violated = append(c.violated, fmt.Sprintf(format, a...))
}

// Violations lists protocol errors seen; a correct driver causes none.
func (c *Chip) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violated...)
}

// channelOf decodes the control byte's bit-reversed channel id.
func channelOf(ctl byte) uint8 {
	v := ctl & 0x1F
	return (v>>4)&1 | (v>>2)&2 | v&4 | (v<<2)&8 | (v<<4)&0x10
}

// Frame is one chip-select frame.
func (c *Chip) Frame(w, r []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.absent || c.inReset {
		return
	}
	if len(w) != 1 {
		c.violation("frame of %d bytes with chip select held", len(w))
		return
	}
	b := w[0]
	switch c.phase {
	case 0:
		c.ctl, c.phase = b, 1
		if b&0x20 == 0 {
			c.violation("legacy direct RAM access (control %#02x)", b)
		}
	case 1:
		c.addr, c.phase = b, 2
	case 2:
		c.phase = 0
		if c.ctl&0x20 == 0 {
			return
		}
		ch := channelOf(c.ctl)
		if c.ctl&0x80 != 0 {
			if c.ctl&0x40 == 0 {
				for k := range c.ch {
					c.write(k, c.addr, b)
				}
			}
			return
		}
		k := int(ch) - int(c.first)
		if k < 0 || k > 1 {
			return // another chip's channel
		}
		if c.ctl&0x40 != 0 {
			r[0] = c.read(k, c.addr)
		} else {
			c.write(k, c.addr, b)
		}
	}
}

func (c *Chip) read(k int, a byte) byte {
	h := c.ch[k]
	now := c.clk.Now()
	switch {
	case int(a) >= numRegs:
		return 0
	case a == rRAMStat:
		if h.busy > 0 {
			h.busy--
			return 1
		}
		return 0
	case a >= rIRQ1 && a < rIRQ1+4:
		v := h.regs[a]
		h.regs[a] = 0 // read clears (SPI mode)
		c.levelLocked()
		return v
	case a == rCALR3:
		if h.calBusy && !c.calStuck && !now.Before(h.calEnd) {
			h.calBusy = false
			h.regs[rCALR3] &^= 0x80
		}
	case a == rLCRRTP:
		var v byte
		if h.lcr {
			v |= 2
		}
		if h.rtp {
			v |= 4
		}
		return v
	case a == rUserMode:
		if h.user {
			return 1
		}
		return 0
	}
	return h.regs[a]
}

func (c *Chip) write(k int, a, v byte) {
	h := c.ch[k]
	now := c.clk.Now()
	if int(a) >= numRegs {
		return
	}
	switch {
	case a == rID || a == rRAMStat || a == rLCRRTP || (a >= rIRQ1 && a < rIRQ1+4):
		return // read-only
	case a == rAddrLo:
		h.regs[a] = v
		c.ramAccess(k, uint16(h.regs[rAddrHi]&0xE0)<<3|uint16(v))
		return
	case a >= rData0 && a < rData0+4:
		h.regs[a] = v
		h.dataWritten = true
		return
	case a >= rIRQEn1 && a < rIRQEn1+4:
		h.regs[a] = v
		c.levelLocked()
		return
	case a == rCALR3:
		h.regs[a] = v
		if v&0x80 != 0 {
			d := generalCal
			if h.regs[rCALR3-1] == 0x01 && h.regs[rCALR3-2] == 0 {
				d = madcCal
			}
			h.calBusy, h.calEnd = true, now.Add(d)
		}
		return
	case a == rUserMode:
		seq := [...]byte{2, 8, 0x0E, 0}
		if v == seq[h.unlock] {
			if h.unlock++; h.unlock == len(seq) {
				h.user, h.unlock = !h.user, 0
			}
		} else {
			h.unlock = 0
		}
		return
	case a == rLinefeed:
		h.regs[a] = v & 7
		h.rtp = false
		if v&7 == 4 {
			h.ringAt = now
		}
		if h.alarmOn != 0 && v&7 != 0 {
			if h.alarmOn > 0 {
				h.alarmOn--
			}
			c.alarmLocked(k, 2)
		}
		c.applyLocked(k)
		return
	case a == rRingCon:
		h.regs[a] = v
		c.applyLocked(k)
		return
	}
	h.regs[a] = v
}

// ramAccess runs a RAM access started by RAM_ADDR_LO: a write when data
// bytes were written since the last access (the API's write sequence), a read
// into the data registers otherwise.
func (c *Chip) ramAccess(k int, a uint16) {
	h := c.ch[k]
	if h.busy > 0 {
		c.violation("RAM access to %d while RAMSTAT busy", a)
	}
	h.busy = 1
	if int(a) >= numRAM {
		return
	}
	if a >= userRAM && !h.user {
		c.violation("RAM %d outside user mode", a)
		return
	}
	if h.dataWritten {
		h.dataWritten = false
		v := uint32(h.regs[rData0])>>3 | uint32(h.regs[rData0+1])<<5 | uint32(h.regs[rData0+2])<<13 | uint32(h.regs[rData0+3])<<21
		c.ramWrite(k, a, v&0x1FFFFFFF)
		return
	}
	v := c.ramRead(k, a)
	h.regs[rData0], h.regs[rData0+1] = byte(v<<3), byte(v>>5)
	h.regs[rData0+2], h.regs[rData0+3] = byte(v>>13), byte(v>>21)
}

func (c *Chip) ramWrite(k int, a uint16, v uint32) {
	h := c.ch[k]
	now := c.clk.Now()
	switch a {
	case mVBat, mILoop, mVTip, mVRing:
		return // measurements
	case mPDDCDC:
		v0 := c.vbat(k, now)
		h.dcdcOn = v&0x100000 == 0
		h.vbat0, h.vbatAt = v0, now
	case mVBathExpect:
		v0 := c.vbat(k, now)
		h.vbat0, h.vbatAt = v0, now
	}
	h.ram[a] = v
}

func (c *Chip) ramRead(k int, a uint16) uint32 {
	h := c.ch[k]
	now := c.clk.Now()
	lf := h.regs[rLinefeed] >> 4 & 7
	powered := h.dcdcOn && (lf == 1 || lf == 2 || lf == 5 || lf == 6)
	voc := math.Min(48, c.vbat(k, now))
	var loopV, loopI float64
	switch {
	case !powered:
	case h.loop:
		loopI, loopV = ilimMA, ilimMA*phoneOhms/1000
	default:
		loopV = voc
	}
	enc := func(x float64) uint32 { return uint32(int32(math.Round(x*voltLSB))) & 0x1FFFFFFF }
	switch a {
	case mVBat:
		return enc(c.vbat(k, now))
	case mILoop:
		return enc(loopI)
	case mVTip:
		if powered {
			return enc(-3)
		}
		return 0
	case mVRing:
		if powered {
			return enc(-3 - loopV)
		}
		return 0
	}
	return h.ram[a]
}

// vbat is channel k's battery magnitude in volts.
func (c *Chip) vbat(k int, now time.Time) float64 {
	h := c.ch[k]
	dt := now.Sub(h.vbatAt).Seconds()
	if !h.dcdcOn {
		return h.vbat0 * math.Exp(-dt/5)
	}
	target := float64(int32(h.ram[mVBathExpect]<<3)>>3) / voltLSB
	if c.weak {
		target /= 2
	}
	if h.vbat0 >= target {
		return target
	}
	return math.Min(target, h.vbat0+rampRate*dt)
}
