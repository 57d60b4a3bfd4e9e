package si321x

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

// Part is the variant the model answers as.
type Part uint8

// Parts.
const (
	Si3210 Part = iota
	Si3215
	Si3216
)

func (p Part) String() string { return [...]string{"Si3210", "Si3215", "Si3216"}[p] }

// Absence says what an absent chip's reads return.
type Absence uint8

// Absences.
const (
	Present    Absence = iota
	FloatsHigh         // nothing drives SDO and a pull-up wins: 0xFF
	PulledLow          // SDO held low: 0x00
)

// Model timings: how long the chip takes. They are the model's choice within
// the limits the drivers allow (DAHDI: VBAT within 500 ms, calibration within
// 2 s; API: 800 ms).
const (
	rampRate      = 750.0 // V/s: 0 → 75 V in 100 ms
	calDuration   = 300 * time.Millisecond
	dcCalDuration = 50 * time.Millisecond
	decayTau      = 5 * time.Second // converter off, healthy line
	filterCap     = 10e-6           // F, battery filter capacitance for the leak time constant
	phoneOhms     = 300.0           // off-hook phone plus loop
	istatusPolls  = 1               // I_STATUS reads busy this many times after an access
)

// Register numbers the model gives meaning to (Si3210 datasheet register map,
// transcribed here independently of the driver).
const (
	rSPIMode   = 0
	rPCMMode   = 1
	rPCMTxLo   = 2
	rPCMTxHi   = 3
	rPCMRxLo   = 4
	rPCMRxHi   = 5
	rDIO       = 6
	rLoopback  = 8
	rHybrid    = 11
	rPwrDown1  = 14
	rIrq1      = 18
	rIrq2      = 19
	rIrq3      = 20
	rMask1     = 21
	rMask2     = 22
	rMask3     = 23
	rIDALo     = 28
	rIDAHi     = 29
	rIAA       = 30
	rIStatus   = 31
	rRingCtl   = 34
	rRingOnLo  = 48
	rRingOffLo = 50
	rLinefeed  = 64
	rAuto      = 67
	rLoopStat  = 68
	rILimit    = 71
	rVOC       = 72
	rVCM       = 73
	rVBATH     = 74
	rVBATL     = 75
	rLoopV     = 78
	rLoopI     = 79
	rTipV      = 80
	rRingV     = 81
	rVBATHSns  = 82
	rVBATLSns  = 83
	rDCDC      = 93
	rCal1      = 96
	rCal2      = 97
	rDCPeak    = 107
	numRegs    = 128
	irRecvGain = 26 // Si3210 numbering; Si3215: 13
	irXmitGain = 27 // Si3215: 14
)

// Options build a chip.
type Options struct {
	Part     Part
	Revision byte            // reg 0 [3:0]; default 5 (E)
	Chain    int             // position in a daisy chain; used once reg 0 SPIDC is set
	Clock    *simclock.Clock // required
	Wire     *wire.Wire      // the line to the phone; required
	Reset    *gpiosim.Pin    // optional: the chip's reset input
	IRQ      *gpiosim.Pin    // optional: the chip's INT output (active low)
}

// Chip is a simulated Si321x. It is a spisim.Device. It is safe for
// concurrent use.
type Chip struct {
	part  Part
	rev   byte
	chain int
	clk   *simclock.Clock
	w     *wire.Wire
	irq   *gpiosim.Pin

	mu   sync.Mutex
	regs [numRegs]byte
	ir   [256]uint16

	// SPI framing
	phase    int // 0: address (or chain select), 1: address after select, 2: data
	skip     int // frames of a transaction addressed to another chip
	addr     byte
	read     bool
	busy     int // I_STATUS reads left busy
	armed    bool
	inReset  bool
	absent   Absence
	violated []string

	// analog
	dcdcOn     bool
	vbatAt     time.Time
	vbat0      float64
	calEnd     time.Time
	calBusy    bool
	dcCalEnd   time.Time
	dcCalBusy  bool
	loop       bool // phone's loop closed
	lcr, rtp   bool
	ringStart  time.Time
	ringActive bool
	feed       hal.Feed

	// faults
	calStuck    bool
	weakDCDC    bool
	leakOhms    float64
	alarmOnFeed int
	irqStuck    bool
	irqAsserted bool
	edge        bool
	onIRQ       func(at time.Time)
	badDCPeak   bool

	// audio
	rx, tx hal.Frame
}

var _ spisim.Device = (*Chip)(nil)

// New builds a chip fresh out of reset and hangs it on its wire.
func New(o Options) (*Chip, error) {
	if o.Clock == nil || o.Wire == nil {
		return nil, fmt.Errorf("si321x model: clock and wire are required")
	}
	if o.Part > Si3216 {
		return nil, fmt.Errorf("si321x model: part %d", o.Part)
	}
	if o.Revision == 0 {
		o.Revision = 5
	}
	c := &Chip{part: o.Part, rev: o.Revision & 0x0F, chain: o.Chain, clk: o.Clock, w: o.Wire, irq: o.IRQ, alarmOnFeed: 0}
	c.resetLocked()
	if o.Reset != nil {
		o.Reset.OnOut(c.resetPin)
	}
	o.Wire.OnLoop(c.loopChanged)
	return c, nil
}

// resetLocked loads the reset values.
func (c *Chip) resetLocked() {
	c.regs = [numRegs]byte{}
	c.regs[rSPIMode] = c.rev // part bits 00 = Si3210
	if c.part != Si3210 {
		c.regs[rPCMMode] = 0x80 | 0x08 // Si3215/16 family bit; µ-law selected, PCM off [verify reset value]
	} else {
		c.regs[rPCMMode] = 0x08
	}
	if c.part == Si3216 {
		c.regs[rDIO] = 0x80
	}
	c.regs[rLoopback] = 0x02 // digital loopback at reset (DAHDI/API sanity value)
	c.regs[rHybrid] = 0x33
	c.regs[rPwrDown1] = 0x10 // converter off [verify reset value]
	c.regs[rVOC] = 0x20      // 48 V
	c.regs[rVCM] = 0x02      // 3 V
	c.regs[rVBATH] = 0x32    // 75 V (fxs-brief §1.3 "0x32=75 V default")
	c.regs[rVBATL] = 0x10    // 24 V
	c.ir = [256]uint16{}
	c.phase, c.skip, c.busy, c.armed = 0, 0, 0, false
	c.dcdcOn, c.vbat0, c.vbatAt = false, 0, c.clk.Now()
	c.calBusy, c.dcCalBusy = false, false
	c.lcr, c.rtp, c.ringActive = false, false, false
	c.applyFeedLocked()
	c.irqLevelLocked()
}

// resetPin follows the reset input: low holds the chip in reset.
func (c *Chip) resetPin(l gpio.Level) {
	c.mu.Lock()
	c.inReset = l == gpio.Low
	c.resetLocked()
	c.mu.Unlock()
}

// Frame is one chip-select frame from the SPI bus.
func (c *Chip) Frame(w, r []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.absent {
	case FloatsHigh:
		return
	case PulledLow:
		for i := range r {
			r[i] = 0
		}
		return
	}
	if c.inReset {
		return
	}
	if len(w) != 1 {
		// The chip wants chip select released between bytes; a longer
		// frame is not a transaction it understands.
		c.violation("frame of %d bytes with chip select held", len(w))
		return
	}
	b := w[0]
	if c.skip > 0 {
		c.skip--
		return
	}
	chained := c.regs[rSPIMode]&0x80 != 0
	switch c.phase {
	case 0:
		if chained {
			if b != 0xFF && b&(1<<c.chain) == 0 {
				c.skip = 2
				return
			}
			c.phase = 1
			return
		}
		fallthrough
	case 1:
		c.addr, c.read = b&0x7F, b&0x80 != 0
		c.phase = 2
	case 2:
		c.phase = 0
		if c.read {
			r[0] = c.readLocked(c.addr)
		} else {
			c.writeLocked(c.addr, b)
		}
	}
}

func (c *Chip) violation(format string, a ...any) {
	c.violated = append(c.violated, fmt.Sprintf(format, a...))
}

// Violations lists the protocol errors the chip has seen: frames it cannot
// parse, indirect accesses while busy. A correct driver causes none.
func (c *Chip) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violated...)
}

func (c *Chip) readLocked(a byte) byte {
	now := c.clk.Now()
	switch a {
	case rIStatus:
		if c.busy > 0 {
			c.busy--
			return 1
		}
		return 0
	case rVBATHSns:
		return sense(c.vbat(now))
	case rVBATLSns:
		if c.dcdcOn {
			return sense(math.Min(c.vbat(now), float64(c.regs[rVBATL])*1.5))
		}
		return 0
	case rCal1:
		c.finishCal(now)
	case rDCDC:
		c.finishCal(now)
	case rLoopStat:
		var v byte
		if c.lcr {
			v |= 0x01
		}
		if c.rtp {
			v |= 0x02
		}
		return v
	case rLoopV, rLoopI, rTipV, rRingV:
		return c.measure(a, now)
	}
	if int(a) >= numRegs {
		return 0
	}
	return c.regs[a]
}

func (c *Chip) writeLocked(a, v byte) {
	now := c.clk.Now()
	if int(a) >= numRegs {
		return
	}
	switch a {
	case rSPIMode:
		c.regs[a] = c.regs[a]&0x7F | v&0x80 // only SPIDC is writable
		return
	case rPCMMode:
		c.regs[a] = c.regs[a]&0x80 | v&0x7F // the family bit is read-only
		return
	case rIrq1, rIrq2, rIrq3:
		c.regs[a] &^= v // write 1 to clear
		c.irqLevelLocked()
		return
	case rMask1, rMask2, rMask3:
		c.regs[a] = v
		c.irqLevelLocked()
		return
	case rIDAHi:
		c.regs[a] = v
		c.armed = true
		return
	case rIAA:
		c.indirect(v)
		return
	case rIStatus, rLoopStat, rVBATHSns, rVBATLSns, rLoopV, rLoopI, rTipV, rRingV:
		return // read-only
	case rPwrDown1:
		v0 := c.vbat(now)
		c.dcdcOn = v&0x10 == 0
		c.vbat0, c.vbatAt = v0, now
	case rVBATH:
		v0 := c.vbat(now)
		c.regs[a] = v
		c.vbat0, c.vbatAt = v0, now
		return
	case rCal1:
		if v&0x40 != 0 {
			c.calBusy, c.calEnd = true, now.Add(calDuration)
		}
	case rDCDC:
		if v&0x80 != 0 {
			c.dcCalBusy, c.dcCalEnd = true, now.Add(dcCalDuration)
		}
	case rLinefeed:
		c.regs[a] = v & 0x07
		c.rtp = false
		if v&0x07 == 4 {
			c.ringStart = now
		}
		if c.alarmOnFeed != 0 && v&0x07 != 0 {
			if c.alarmOnFeed > 0 {
				c.alarmOnFeed--
			}
			c.alarmLocked(1)
		}
		c.applyFeedLocked()
		return
	case rRingCtl:
		c.regs[a] = v
		c.applyFeedLocked()
		return
	}
	c.regs[a] = v
}

// indirect runs an indirect access: a write when IDA_HI was written since
// the last access, a read into IDA otherwise.
func (c *Chip) indirect(a byte) {
	if c.busy > 0 {
		c.violation("indirect access to %d while I_STATUS busy", a)
	}
	c.regs[rIAA] = a
	if c.armed {
		if c.irValid(a) {
			c.ir[a] = uint16(c.regs[rIDAHi])<<8 | uint16(c.regs[rIDALo])
		}
	} else {
		v := uint16(0)
		if c.irValid(a) {
			v = c.ir[a]
		}
		c.regs[rIDALo], c.regs[rIDAHi] = byte(v), byte(v>>8)
	}
	c.armed = false
	c.busy = istatusPolls
}

// irValid reports whether the part has indirect register a: the Si3210 has
// 0..43 and 88..104; the Si3215/16 map is shifted (0..27, 64, 66, 69..85)
// and lacks the DTMF and pulse-metering registers (ProSLIC API
// possibleAddressCorrect). Both have 208 and up.
func (c *Chip) irValid(a byte) bool {
	if a >= 208 {
		return true
	}
	if c.part == Si3210 {
		return a <= 43 || (a >= 88 && a <= 104)
	}
	return a <= 27 || a == 64 || a == 66 || (a >= 69 && a <= 85)
}

// finishCal completes calibrations whose time has come: reg 96 clears and the
// result registers fill; reg 93 bit 7 clears and reg 107 gets the DC peak.
func (c *Chip) finishCal(now time.Time) {
	if c.calBusy && !c.calStuck && !now.Before(c.calEnd) {
		c.calBusy = false
		c.regs[rCal1] = 0
		copy(c.regs[98:107], []byte{0x10, 0x10, 0x11, 0x11, 0x08, 0x88, 0x7F, 0x80, 0x12})
	}
	if c.dcCalBusy && !c.calStuck && !now.Before(c.dcCalEnd) {
		c.dcCalBusy = false
		c.regs[rDCDC] &^= 0x80
		c.regs[rDCPeak] = 0x08
		if c.badDCPeak {
			c.regs[rDCPeak] = 0x1F
		}
	}
}

// vbat is the battery voltage magnitude at now: a linear ramp towards VBATH
// while the converter runs (half of it with a weak converter), an exponential
// decay while it is off (fast on a leaky line).
func (c *Chip) vbat(now time.Time) float64 {
	dt := now.Sub(c.vbatAt).Seconds()
	if c.dcdcOn {
		target := float64(c.regs[rVBATH]) * 1.5
		if c.weakDCDC {
			target /= 2
		}
		if c.vbat0 > target {
			return target
		}
		return math.Min(target, c.vbat0+rampRate*dt)
	}
	tau := decayTau.Seconds()
	if c.leakOhms > 0 {
		tau = math.Min(tau, c.leakOhms*filterCap)
	}
	return c.vbat0 * math.Exp(-dt/tau)
}

// sense encodes a voltage magnitude at 376 mV/LSB (DAHDI's scale for reg 82).
func sense(v float64) byte {
	return byte(math.Min(255, math.Max(0, math.Round(v/0.376))))
}

// measure gives the line sense registers from the feed and the loop.
func (c *Chip) measure(a byte, now time.Time) byte {
	lf := c.regs[rLinefeed] >> 4 & 7
	powered := c.dcdcOn && (lf == 1 || lf == 2 || lf == 5 || lf == 6)
	voc := math.Min(float64(c.regs[rVOC])*1.5, c.vbat(now))
	ilim := 20 + 3*float64(c.regs[rILimit]&0x07)
	var loopV, loopI float64
	switch {
	case !powered:
	case c.loop:
		loopI = ilim
		loopV = ilim * phoneOhms / 1000
	default:
		loopV = voc
		if c.leakOhms > 0 {
			loopI = voc / c.leakOhms * 1000
		}
	}
	vcm := float64(c.regs[rVCM]) * 1.5
	switch a {
	case rLoopV:
		return sense(loopV)
	case rLoopI:
		return byte(math.Min(63, math.Round(loopI/1.25)))
	case rTipV:
		if powered {
			return sense(vcm)
		}
		return 0
	default:
		if powered {
			return sense(vcm + loopV)
		}
		return 0
	}
}
