package si321x

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// MaxSPIHz is the SPI clock the driver asks for by default. Many designs run
// the ProSLIC at or below 8 MHz; bfsi.c runs its SiLabs parts at 12.5 MHz
// [verify the Si3210 maximum in its datasheet timing table].
const MaxSPIHz = 4 * physic.MegaHertz

// PCMFormat is the PCM coding of the chip's time slot (reg 1 PCMF).
type PCMFormat uint8

// PCM formats. Linear takes two consecutive 8-bit slots, MSB first.
const (
	ALaw   PCMFormat = 0
	ULaw   PCMFormat = 1
	Linear PCMFormat = 3
)

var formatNames = [...]string{"alaw", "ulaw", "?", "linear"}

func (f PCMFormat) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format?"
}

// Ring configures the ringing generator (fxs-brief §1.7).
type Ring struct {
	Hz        float64       // ringing frequency; default 20 Hz
	Amplitude uint16        // RNGX; default 0x160 (DAHDI "normal", ≈65 Vpk)
	On, Off   time.Duration // hardware cadence; both zero = cadence timed by the caller
}

// Opts configure a Dev. Fields left zero take the DefaultOpts value.
type Opts struct {
	Chain       int         // position in a daisy chain (0..7), or -1: own chip select
	Bus         sync.Locker // shared by every chip on one spi.Conn; nil = private
	Format      PCMFormat   // PCM coding
	TxStart     uint16      // PCLK cycles from FSYNC to the chip's transmit slot (8 per 8-bit slot)
	RxStart     uint16      // same for the receive slot
	LoopCurrent int         // DC feed current limit in mA, 20..41 (reg 71: 20 mA + 3 mA/LSB)
	Ring        Ring
	Poll        time.Duration // interval of status polls during power-up and calibration
}

// DefaultOpts returns the defaults: own chip select, µ-law in slot 0, 23 mA
// (the API's reg 71 = 0x01), 20 Hz ringing at DAHDI's normal amplitude, no
// hardware cadence, 10 ms polls.
func DefaultOpts() Opts {
	return Opts{
		Chain:       -1,
		Format:      ULaw,
		LoopCurrent: 23,
		Ring:        Ring{Hz: 20, Amplitude: 0x160},
		Poll:        10 * time.Millisecond,
	}
}

func (o *Opts) fill() error {
	def := DefaultOpts()
	if o.LoopCurrent == 0 {
		o.LoopCurrent = def.LoopCurrent
	}
	if o.Ring.Hz == 0 {
		o.Ring.Hz = def.Ring.Hz
	}
	if o.Ring.Amplitude == 0 {
		o.Ring.Amplitude = def.Ring.Amplitude
	}
	if o.Poll == 0 {
		o.Poll = def.Poll
	}
	switch {
	case o.Chain < -1 || o.Chain > 7:
		return fmt.Errorf("%w: chain position %d (want -1 or 0..7)", ErrBadOption, o.Chain)
	case o.LoopCurrent < 20 || o.LoopCurrent > 41:
		return fmt.Errorf("%w: loop current %d mA (want 20..41)", ErrBadOption, o.LoopCurrent)
	case o.Format == 2 || o.Format > Linear:
		return fmt.Errorf("%w: PCM format %d", ErrBadOption, o.Format)
	case o.TxStart > 0x3FF || o.RxStart > 0x3FF:
		return fmt.Errorf("%w: PCM start count beyond 10 bits", ErrBadOption)
	case o.Ring.Hz < 10 || o.Ring.Hz > 100:
		return fmt.Errorf("%w: ring frequency %g Hz", ErrBadOption, o.Ring.Hz)
	}
	return nil
}

// Dev is one Si321x chip.
type Dev struct {
	mu    sync.Mutex
	x     *proslic.Xfer
	reset gpio.PinOut
	irq   gpio.PinIn
	sleep proslic.Sleeper
	opts  Opts
	chain int

	part Part
	rev  byte
	cal  [12]byte // calibration results, regs 98..107 plus 96/97
}

// New probes the chip on conn: it pulses reset (when reset is not nil),
// reads the part and revision and runs the reset-value sanity checks, and
// fails early if no sane chip answers. It does not power the line up: call
// Init. irq may be nil (the chip is then polled).
func New(conn spi.Conn, reset gpio.PinOut, irq gpio.PinIn, s proslic.Sleeper, opts *Opts) (*Dev, error) {
	o := DefaultOpts()
	if opts != nil {
		o = *opts
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	d := &Dev{x: proslic.NewXfer(conn, o.Bus), reset: reset, irq: irq, sleep: s, opts: o, chain: o.Chain}
	if irq != nil {
		// INT is open-drain, active low [verify polarity in the datasheet pin table].
		if err := irq.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, fmt.Errorf("si321x: irq pin %s: %w", irq, err)
		}
	}
	if err := d.Reset(); err != nil {
		return nil, err
	}
	if err := d.Probe(reset != nil); err != nil {
		return nil, err
	}
	return d, nil
}

// Reset pulses the reset pin, if there is one: low 250 ms, then 250 ms to
// settle (ProSLIC API Si321x_Reset).
func (d *Dev) Reset() error {
	if d.reset == nil {
		return nil
	}
	if err := d.reset.Out(gpio.Low); err != nil {
		return fmt.Errorf("si321x: reset: %w", err)
	}
	d.sleep.Sleep(250 * time.Millisecond)
	if err := d.reset.Out(gpio.High); err != nil {
		return fmt.Errorf("si321x: reset: %w", err)
	}
	d.sleep.Sleep(250 * time.Millisecond)
	return nil
}

// Probe identifies the part and checks it. fresh says the chip has just come
// out of reset, so the reset values of reg 8, 11 and 64 must read back
// (DAHDI wctdm_proslic_insane; ProSLIC API "STEP 8 AN35").
func (d *Dev) Probe(fresh bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var r [4]byte
	for i, reg := range [...]uint8{RegSPIMode, RegPCMMode, RegDIO, RegLoopStat} {
		v, err := d.readReg(reg)
		if err != nil {
			return err
		}
		r[i] = v
	}
	switch {
	case r[0] == 0xFF && r[1] == 0xFF:
		return fmt.Errorf("%w: registers read 0xFF (nothing drives SDO)", ErrNoChip)
	case r[0] == 0 && r[1] == 0:
		return fmt.Errorf("%w: registers read 0x00", ErrNoChip)
	case r[3]&LoopStatUnused != 0:
		return fmt.Errorf("%w: reg 68 = %#02x has bits that always read 0", ErrNoChip, r[3])
	}
	d.rev = r[0] & 0x0F
	switch {
	case d.rev == 0 || d.rev == 0x0F:
		return fmt.Errorf("%w: revision %#x (chip not loaded)", ErrNoChip, d.rev)
	case d.rev < 2:
		return fmt.Errorf("%w: revision %c", ErrTooOld, d.Revision())
	}
	d.part = decodePart(r[0], r[1], r[2])
	if d.part == PartUnknown {
		return fmt.Errorf("%w: unknown variant (reg 1 %#02x, reg 6 %#02x)", ErrInsane, r[1], r[2])
	}
	if !fresh {
		return nil
	}
	for _, c := range [...]struct{ reg, want uint8 }{{RegLoopback, 0x02}, {RegHybrid, 0x33}, {RegLinefeed, 0x00}} {
		v, err := d.readReg(c.reg)
		if err != nil {
			return err
		}
		if v != c.want {
			return fmt.Errorf("%w: reg %d = %#02x after reset, want %#02x", ErrInsane, c.reg, v, c.want)
		}
	}
	return nil
}

// Part returns the chip variant found by Probe.
func (d *Dev) Part() Part { return d.part }

// Revision returns the silicon revision letter (reg 0 [3:0], 1 = A).
func (d *Dev) Revision() byte { return 'A' + d.rev - 1 }

// String names the chip.
func (d *Dev) String() string {
	return fmt.Sprintf("%s rev %c", d.part, d.Revision())
}

// Opts returns the options in force.
func (d *Dev) Opts() Opts { return d.opts }

// IRQ returns the interrupt pin, or nil.
func (d *Dev) IRQ() gpio.PinIn { return d.irq }

// IRQAsserted reports whether the interrupt pin is asserted (low). Without a
// pin it reports true, so a caller always polls.
func (d *Dev) IRQAsserted() bool {
	if d.irq == nil {
		return true
	}
	return d.irq.Read() == gpio.Low
}

// EnableDaisyChain switches every chip on conn's chip select into daisy-chain
// mode by writing reg 0 = 0x80 (SPIDC) while all of them still listen to
// every frame (ProSLIC API: broadcast reg 0 = 0x80 after reset). Afterwards
// each transaction starts with a one-hot chip-select byte: give each Dev its
// Opts.Chain position and one shared Opts.Bus.
func EnableDaisyChain(conn spi.Conn) error {
	var w [2]byte
	w[0], w[1] = RegSPIMode, SPIDaisyChain
	p := [...]spi.Packet{{W: w[0:1]}, {W: w[1:2]}}
	if err := conn.TxPackets(p[:]); err != nil {
		return fmt.Errorf("si321x: enable daisy chain: %w", err)
	}
	return nil
}
