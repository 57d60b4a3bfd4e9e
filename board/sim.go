package board

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/drivers/si3226x"
	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim"
	si321xsim "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
	si3226xsim "github.com/hookswitch/hookswitch/hal/sim/chip/si3226x"
	"github.com/hookswitch/hookswitch/hal/sim/gpiosim"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
	"github.com/hookswitch/hookswitch/hal/slic"
)

// SimBoard is a simulated board of chip models driven by the real drivers.
type SimBoard struct {
	*sim.ChipBoard
	def    *Definition
	ports  []*slic.Line
	models []any // per port: the chip model behind it (fault injection)
	conns  []*spisim.Conn
}

var (
	_ Simulated = (*SimBoard)(nil)
	_ Health    = (*SimBoard)(nil)
)

// PortStatus reports every port's health.
func (b *SimBoard) PortStatus() []slic.Status {
	out := make([]slic.Status, len(b.ports))
	for i, l := range b.ports {
		out[i] = l.Status()
	}
	return out
}

// Port returns port n's line (1-based), or nil.
func (b *SimBoard) Port(n int) *slic.Line {
	if n < 1 || n > len(b.ports) {
		return nil
	}
	return b.ports[n-1]
}

// Model returns the chip model behind port n, for fault injection: a
// *si321x.Chip or *si3226x.Chip of hal/sim/chip (both ports of a Si3226x
// share it).
func (b *SimBoard) Model(n int) any {
	if n < 1 || n > len(b.models) {
		return nil
	}
	return b.models[n-1]
}

// Definition returns the board's definition.
func (b *SimBoard) Definition() *Definition { return b.def }

func pcmFormat(f string) pcm.Format {
	switch f {
	case "alaw":
		return pcm.ALaw
	case "ulaw":
		return pcm.ULaw
	}
	return pcm.Linear
}

func si321xFormat(f string) si321x.PCMFormat {
	switch f {
	case "alaw":
		return si321x.ALaw
	case "ulaw":
		return si321x.ULaw
	}
	return si321x.Linear
}

func si321xPart(p string) si321xsim.Part {
	switch strings.ToLower(p) {
	case "si3210":
		return si321xsim.Si3210
	case "si3216":
		return si321xsim.Si3216
	}
	return si321xsim.Si3215
}

// si321xOpts derives a chip's driver options from the board.
func si321xOpts(d *Definition, c Chip, bus sync.Locker) si321x.Opts {
	o := si321x.DefaultOpts()
	o.Chain = c.Chain - 1
	o.Bus = bus
	o.Format = si321xFormat(d.PCM.Format)
	o.TxStart = uint16(c.Ports[0].Slot * 8)
	o.RxStart = o.TxStart
	o.LoopCurrent = d.Feed.LoopCurrent
	o.Ring = si321x.Ring{Hz: d.Ring.Hz, On: time.Duration(d.Ring.OnMS) * time.Millisecond, Off: time.Duration(d.Ring.OffMS) * time.Millisecond}
	return o
}

// simChip is one chip of the simulated board while it is being built.
type simChip struct {
	def    Chip
	family string
	clk    *simclock.Clock
	reset  *gpiosim.Pin
	irq    *gpiosim.Pin
	dev    spisim.Device
	onIRQ  func(func(time.Time))
	m321x  *si321xsim.Chip
	m3226x *si3226xsim.Chip
}

// newSimChip builds chip i's model on the board's wires.
func newSimChip(i int, c Chip, start time.Time, wires []*wire.Wire) (*simChip, sim.PCMChip, error) {
	sc := &simChip{def: c, family: parts()[strings.ToLower(c.Part)].family, clk: simclock.New(start)}
	sc.reset = gpiosim.New(c.Reset, 2*i, gpio.High)
	sc.irq = gpiosim.New(c.IRQ, 2*i+1, gpio.High)
	switch sc.family {
	case "si321x":
		m, err := si321xsim.New(si321xsim.Options{
			Part: si321xPart(c.Part), Chain: c.Chain - 1, Clock: sc.clk,
			Wire: wires[c.Ports[0].Number-1], Reset: sc.reset, IRQ: sc.irq,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("chips[%d]: %w", i, err)
		}
		sc.m321x, sc.dev, sc.onIRQ = m, m, m.OnIRQ
		return sc, m, nil
	case "si3226x":
		m, err := si3226xsim.New(si3226xsim.Options{
			FirstChannel: firstChannel(c), Clock: sc.clk,
			Wires: [2]*wire.Wire{wires[c.Ports[0].Number-1], wires[c.Ports[1].Number-1]},
			Reset: sc.reset, IRQ: sc.irq,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("chips[%d]: %w", i, err)
		}
		sc.m3226x, sc.dev, sc.onIRQ = m, m, m.OnIRQ
		return sc, m, nil
	}
	return nil, nil, fmt.Errorf("chips[%d].part: %s has no chip model", i, c.Part)
}

// firstChannel is a Si3226x's first channel id on its chip select: two per
// chip along a daisy chain.
func firstChannel(c Chip) uint8 {
	if c.Chain == 0 {
		return 0
	}
	return uint8(2 * (c.Chain - 1))
}

// lines builds the chip's drivers and line adapters; the model's interrupt
// reaches every line of the chip.
func (sc *simChip) lines(d *Definition, conn spi.Conn, bus sync.Locker, now func() time.Time) []*slic.Line {
	out := buildLines(d, sc.def, conn, bus, sc.reset, sc.irq, sc.clk, now)
	sc.onIRQ(func(at time.Time) {
		for _, l := range out {
			l.Interrupt(at)
		}
	})
	return out
}

// si3226xOpts derives a chip's driver options from the board.
func si3226xOpts(d *Definition, c Chip, bus sync.Locker) si3226x.Opts {
	o := si3226x.DefaultOpts()
	o.FirstChannel = firstChannel(c)
	o.Bus = bus
	o.Format = si3226x.PCMFormat(si321xFormat(d.PCM.Format))
	for k, p := range c.Ports {
		o.TxStart[k], o.RxStart[k] = uint16(p.Slot*8), uint16(p.Slot*8)
	}
	o.Ring = si3226x.Ring{Hz: d.Ring.Hz, On: time.Duration(d.Ring.OnMS) * time.Millisecond, Off: time.Duration(d.Ring.OffMS) * time.Millisecond}
	return o
}

func openSim(d *Definition, o Options) (*SimBoard, error) {
	b := &SimBoard{def: d}
	build := func(start time.Time, now func() time.Time, wires []*wire.Wire, bus *pcm.Bus) (sim.ChipSet, error) {
		n := d.Ports()
		set := sim.ChipSet{Lines: make([]hal.Line, n), Slots: make([]sim.Slot, n)}
		b.ports = make([]*slic.Line, n)
		b.models = make([]any, n)
		// Chip models, grouped by chip select (a daisy chain shares one).
		var chips []*simChip
		onSelect := map[string]spisim.Chain{}
		var selects []string
		for i, c := range d.Chips {
			sc, pc, err := newSimChip(i, c, start, wires)
			if err != nil {
				return set, err
			}
			chips = append(chips, sc)
			set.Chips = append(set.Chips, pc)
			if _, ok := onSelect[c.SPI]; !ok {
				selects = append(selects, c.SPI)
			}
			onSelect[c.SPI] = append(onSelect[c.SPI], sc.dev)
		}
		conns := map[string]spi.Conn{}
		buses := map[string]*sync.Mutex{}
		for _, s := range selects {
			c, err := spisim.NewPort(s, onSelect[s]).Connect(si321x.MaxSPIHz, spi.Mode3, 8)
			if err != nil {
				return set, err
			}
			b.conns = append(b.conns, c.(*spisim.Conn))
			conns[s], buses[s] = c, &sync.Mutex{}
		}
		chained := map[string]bool{}
		for _, sc := range chips {
			if sc.family == "si321x" && sc.def.Chain > 0 && !chained[sc.def.SPI] {
				if err := si321x.EnableDaisyChain(conns[sc.def.SPI]); err != nil {
					return set, err
				}
				chained[sc.def.SPI] = true
			}
		}
		for _, sc := range chips {
			for k, line := range sc.lines(d, conns[sc.def.SPI], buses[sc.def.SPI], now) {
				p := sc.def.Ports[k]
				_ = line.Start(start) // a failing chip leaves its port out of service; the others work
				set.Lines[p.Number-1] = line
				set.Slots[p.Number-1] = sim.Slot{Tx: p.Slot, Rx: p.Slot, Format: pcmFormat(d.PCM.Format)}
				b.ports[p.Number-1] = line
				if sc.m321x != nil {
					b.models[p.Number-1] = sc.m321x
				} else {
					b.models[p.Number-1] = sc.m3226x
				}
			}
		}
		set.Service = func(now time.Time) {
			for _, l := range b.ports {
				l.Poll(now)
			}
		}
		set.Close = func() error {
			var errs []error
			for _, l := range b.ports {
				errs = append(errs, l.Close())
			}
			return errors.Join(errs...)
		}
		return set, nil
	}
	cb, err := sim.NewChipBoard(sim.Options{Ports: d.Ports(), Country: o.Country, Realtime: o.Realtime, Phone: o.Phone}, d.PCM.Slots, build)
	if err != nil {
		return nil, fmt.Errorf("board %s: %w", d.Name, err)
	}
	b.ChipBoard = cb
	return b, nil
}

// deferred is a chip found only when first initialised, so a port whose chip
// is missing at boot is simply out of service and retried.
type deferred struct {
	name string
	open func() (slic.Chip, error)
	c    slic.Chip
}

var errNotFound = errors.New("chip not found yet")

func (d *deferred) String() string {
	if d.c == nil {
		return d.name + " (not found)"
	}
	return d.c.String()
}

func (d *deferred) Init() error {
	if d.c == nil {
		c, err := d.open()
		if err != nil {
			return err
		}
		d.c = c
	}
	return d.c.Init()
}

func (d *deferred) get() (slic.Chip, error) {
	if d.c == nil {
		return nil, errNotFound
	}
	return d.c, nil
}

// Reset resets the chip when it has a reset line.
func (d *deferred) Reset() error {
	if r, ok := d.c.(slic.Resetter); ok {
		return r.Reset()
	}
	return nil
}

// Chip returns the driver once found.
func (d *deferred) Chip() slic.Chip { return d.c }

func (d *deferred) SetLinefeed(l proslic.Linefeed) error {
	c, err := d.get()
	if err != nil {
		return err
	}
	return c.SetLinefeed(l)
}

func (d *deferred) Linefeed() (proslic.Linefeed, proslic.Linefeed, error) {
	c, err := d.get()
	if err != nil {
		return 0, 0, err
	}
	return c.Linefeed()
}

func (d *deferred) Interrupts() (proslic.Interrupts, error) {
	c, err := d.get()
	if err != nil {
		return proslic.Interrupts{}, err
	}
	return c.Interrupts()
}

func (d *deferred) LoopClosed() (bool, error) {
	c, err := d.get()
	if err != nil {
		return false, err
	}
	return c.LoopClosed()
}

func (d *deferred) IRQAsserted() bool { return d.c != nil && d.c.IRQAsserted() }

func (d *deferred) Halt() error {
	if d.c == nil {
		return nil
	}
	return d.c.Halt()
}

// Measure measures the line when the chip can.
func (d *deferred) Measure() (proslic.Measurements, error) {
	m, ok := d.c.(slic.Measurer)
	if !ok {
		return proslic.Measurements{}, errNotFound
	}
	return m.Measure()
}
