package si3226x

import (
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// PCMFormat is the PCMMODE coding (bits 1:0; fxs-brief §2.4).
type PCMFormat uint8

// Formats. Linear takes two consecutive 8-bit slots, MSB first.
const (
	ALaw   PCMFormat = 0
	ULaw   PCMFormat = 1
	Linear PCMFormat = 3
)

// Ring configures the ringing generator.
type Ring struct {
	Hz      float64       // default 20
	Vpk     float64       // amplitude, V peak; default 65
	On, Off time.Duration // hardware cadence; both zero = timed by the caller
}

// RAMWord is one RAM location and value, for board-specific tables.
type RAMWord struct {
	Addr  uint16
	Value uint32
}

// Patch is a vendor DSP patch: PRAM words, the jump table and the patch id
// (API LoadSi3226Patch). It is not redistributable, so the board supplies it.
type Patch struct {
	Data    []uint32
	Entries [8]uint16
	Serial  uint32
}

// Opts configure a Device. Zero fields take the defaults.
type Opts struct {
	FirstChannel uint8       // channel id of the chip's channel 0 on its chip select (daisy chain: 2 × position)
	Bus          sync.Locker // shared by every chip on one spi.Conn
	Format       PCMFormat
	TxStart      [2]uint16 // per channel: PCLK cycles from FSYNC to its transmit slot
	RxStart      [2]uint16
	Ring         Ring
	RAM          []RAMWord // board tables (converter, DC feed, impedance), written in user mode
	Patch        *Patch
	Poll         time.Duration // status poll interval; default 10 ms (API)
}

// DefaultOpts returns the defaults: µ-law in slots 0 and 1, 20 Hz 65 Vpk
// ringing timed by the caller, 10 ms polls.
func DefaultOpts() Opts {
	return Opts{Format: ULaw, TxStart: [2]uint16{0, 8}, RxStart: [2]uint16{0, 8},
		Ring: Ring{Hz: 20, Vpk: 65}, Poll: 10 * time.Millisecond}
}

func (o *Opts) fill() error {
	if o.Ring.Hz == 0 {
		o.Ring.Hz = 20
	}
	if o.Ring.Vpk == 0 {
		o.Ring.Vpk = 65
	}
	if o.Poll == 0 {
		o.Poll = 10 * time.Millisecond
	}
	switch {
	case o.FirstChannel > 30:
		return fmt.Errorf("%w: first channel %d (a chain has 32)", ErrBadOption, o.FirstChannel)
	case o.Format == 2 || o.Format > Linear:
		return fmt.Errorf("%w: PCM format %d", ErrBadOption, o.Format)
	case o.Ring.Hz < 10 || o.Ring.Hz > 100:
		return fmt.Errorf("%w: ring frequency %g Hz", ErrBadOption, o.Ring.Hz)
	case o.Ring.Vpk < 20 || o.Ring.Vpk > 100:
		return fmt.Errorf("%w: ring amplitude %g Vpk", ErrBadOption, o.Ring.Vpk)
	}
	for i := range 2 {
		if o.TxStart[i] > 0x3FF || o.RxStart[i] > 0x3FF {
			return fmt.Errorf("%w: PCM start count beyond 10 bits", ErrBadOption)
		}
	}
	return nil
}

// Device is one Si3226x chip: two channels sharing an SPI chip select and a
// reset line.
type Device struct {
	mu    sync.Mutex
	b     bus
	reset gpio.PinOut
	sleep proslic.Sleeper
	opts  Opts
	id    byte
	ch    [2]*Channel
}

// New probes the chip: it pulses reset (when reset is not nil), reads the ID
// register and checks that both channels hold a register and a RAM word
// written to them (API Si3226_VerifyControlInterface). irq[k] is channel k's
// interrupt pin or nil; on the Si3226x both channels may share one pin.
func New(conn spi.Conn, reset gpio.PinOut, irq [2]gpio.PinIn, s proslic.Sleeper, opts *Opts) (*Device, error) {
	o := DefaultOpts()
	if opts != nil {
		o = *opts
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	d := &Device{b: bus{x: proslic.NewXfer(conn, o.Bus)}, reset: reset, sleep: s, opts: o}
	for k := range d.ch {
		d.ch[k] = &Channel{d: d, n: o.FirstChannel + uint8(k), k: k, irq: irq[k]}
		if irq[k] != nil {
			if err := irq[k].In(gpio.PullUp, gpio.FallingEdge); err != nil {
				return nil, fmt.Errorf("si3226x: irq pin %s: %w", irq[k], err)
			}
		}
	}
	if err := d.Reset(); err != nil {
		return nil, err
	}
	if err := d.Probe(); err != nil {
		return nil, err
	}
	return d, nil
}

// Reset pulses the reset pin: 250 ms low, 250 ms to settle (API Si3226_Reset).
func (d *Device) Reset() error {
	if d.reset == nil {
		return nil
	}
	if err := d.reset.Out(gpio.Low); err != nil {
		return fmt.Errorf("si3226x: reset: %w", err)
	}
	d.sleep.Sleep(250 * time.Millisecond)
	if err := d.reset.Out(gpio.High); err != nil {
		return fmt.Errorf("si3226x: reset: %w", err)
	}
	d.sleep.Sleep(250 * time.Millisecond)
	return nil
}

// probeValue is what the API writes to PCMRXLO to test the interface.
const (
	probeValue = 0x5A
	probeRAM   = 0x12345678
)

// Probe reads the ID and checks that both channels answer.
func (d *Device) Probe() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch0 := d.ch[0].n
	id, err := d.b.readReg(ch0, RegID)
	if err != nil {
		return err
	}
	if id == 0xFF || id == 0 {
		return fmt.Errorf("%w: ID reads %#02x", ErrNoChip, id)
	}
	d.id = id
	for _, c := range d.ch {
		if err := d.b.writeReg(c.n, RegPCMRxLo, probeValue); err != nil {
			return err
		}
		v, err := d.b.readReg(c.n, RegPCMRxLo)
		if err != nil {
			return err
		}
		if v != probeValue {
			return fmt.Errorf("%w: channel %d holds %#02x written as %#02x", ErrNoChip, c.n, v, probeValue)
		}
		if err := d.b.writeRAM(c.n, RAMUnused449, probeRAM); err != nil {
			return err
		}
		r, err := d.b.readRAM(c.n, RAMUnused449)
		if err != nil {
			return err
		}
		if r != probeRAM {
			return fmt.Errorf("%w: channel %d RAM 449 holds %#x written as %#x", ErrNoChip, c.n, r, probeRAM)
		}
	}
	return nil
}

// Revision is the silicon revision letter: ID bits 2:0, 0 = A (API chipRev).
func (d *Device) Revision() byte { return 'A' + d.id&7 }

// Part names the chip: ID bits 5:3 give the variant (API chipType).
func (d *Device) Part() string {
	return [...]string{"Si32260", "Si32261", "Si32262", "Si32263", "Si32264", "Si32265", "Si32266", "Si32267"}[d.id>>3&7]
}

// String names the chip.
func (d *Device) String() string { return fmt.Sprintf("%s rev %c", d.Part(), d.Revision()) }

// Channel returns channel k (0 or 1).
func (d *Device) Channel(k int) *Channel { return d.ch[k] }

// ReadReg reads a register of channel k.
func (d *Device) ReadReg(k int, r uint8) (byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.b.readReg(d.ch[k].n, r)
}

// WriteReg writes a register of channel k.
func (d *Device) WriteReg(k int, r, v uint8) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.b.writeReg(d.ch[k].n, r, v)
}

// ReadRAM reads a RAM word of channel k (user mode is entered for ≥ 1024).
func (d *Device) ReadRAM(k int, a uint16) (uint32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.ch[k].n
	if a >= RAMUserFirst {
		if err := d.b.setUserMode(n, true); err != nil {
			return 0, err
		}
		defer func() { _ = d.b.setUserMode(n, false) }()
	}
	return d.b.readRAM(n, a)
}

// WriteRAM writes a RAM word of channel k (user mode is entered for ≥ 1024).
func (d *Device) WriteRAM(k int, a uint16, v uint32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.ch[k].n
	if a >= RAMUserFirst {
		if err := d.b.setUserMode(n, true); err != nil {
			return err
		}
		defer func() { _ = d.b.setUserMode(n, false) }()
	}
	return d.b.writeRAM(n, a, v)
}

// ringAmp converts a peak voltage to RINGAMP: the API's table gives 25301
// per volt at 20 Hz and 31649 at 25 Hz, i.e. ≈ 1265·f per volt (derived).
func ringAmp(vpk, hz float64) uint32 {
	return uint32(math.Round(vpk * 1265.05 * hz))
}
