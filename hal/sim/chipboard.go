package sim

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

// PCMChip is a chip model on the simulated PCM bus.
type PCMChip interface {
	// AdvanceTo moves the chip's time to the start of a frame.
	AdvanceTo(t time.Time)
	// PCMReceive takes the chip's receive slots to its lines.
	PCMReceive(b *pcm.Bus)
	// PCMTransmit puts its lines' audio in its transmit slots.
	PCMTransmit(b *pcm.Bus)
}

// Slot is where the host finds a port's audio on the PCM bus.
type Slot struct {
	Tx     int        // slot the host sends the port's audio in (the chip's receive slot)
	Rx     int        // slot the host receives the port's audio from (the chip's transmit slot)
	Format pcm.Format // coding of both
}

// ChipSet is what a chip-model board is made of, built on its wires.
type ChipSet struct {
	Lines []hal.Line // exchange side of each port, in port order (drivers behind adapters)
	Slots []Slot     // the host's end of each port on the bus, in port order
	Chips []PCMChip  // every chip model on the bus
	// Service runs at the end of every frame with the frame's end time:
	// the adapters' periodic service (audits, retries, polling).
	Service func(now time.Time)
	// Close halts every line.
	Close func() error
}

// ChipBuild builds the chips, drivers and lines of a board on its wires and
// PCM bus. start is the time of the first frame; now reads the board's
// clock (the start of the next frame).
type ChipBuild func(start time.Time, now func() time.Time, wires []*wire.Wire, bus *pcm.Bus) (ChipSet, error)

// ChipBoard is a simulated board whose ports are register-level chip models
// driven by the real drivers: audio goes through the chips' PCM slots and
// line events come from their interrupts.
type ChipBoard struct {
	clock
	bus *pcm.Bus
	set ChipSet

	wires  []*wire.Wire
	phones []*phone.Phone
}

var _ hal.Board = (*ChipBoard)(nil)

// NewChipBoard builds a chip-model board with a phone on each port and a PCM
// bus of slots 8-bit slots.
func NewChipBoard(opts Options, slots int, build ChipBuild) (*ChipBoard, error) {
	if opts.Ports < 1 {
		return nil, fmt.Errorf("sim: %d ports", opts.Ports)
	}
	bus, err := pcm.New(slots)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	b := &ChipBoard{clock: newClock(opts), bus: bus}
	start := b.Now()
	for range opts.Ports {
		b.wires = append(b.wires, wire.NewWire())
	}
	set, err := build(start, b.Now, b.wires, bus)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if len(set.Lines) != opts.Ports || len(set.Slots) != opts.Ports {
		return nil, fmt.Errorf("sim: built %d lines and %d slots for %d ports", len(set.Lines), len(set.Slots), opts.Ports)
	}
	b.set = set
	po := opts.Phone
	po.Country = opts.Country
	for i, w := range b.wires {
		p, err := phone.New(w, start, po)
		if err != nil {
			return nil, fmt.Errorf("sim: port %d: %w", i+1, err)
		}
		b.phones = append(b.phones, p)
	}
	return b, nil
}

// Lines returns the board's lines in port order.
func (b *ChipBoard) Lines() []hal.Line { return b.set.Lines }

// Phone returns the phone on port n (1-based), or nil.
func (b *ChipBoard) Phone(n int) *phone.Phone {
	if n < 1 || n > len(b.phones) {
		return nil
	}
	return b.phones[n-1]
}

// Phones returns every phone in port order.
func (b *ChipBoard) Phones() []*phone.Phone { return b.phones }

// Bus returns the PCM bus.
func (b *ChipBoard) Bus() *pcm.Bus { return b.bus }

// Tick carries one frame: the host's audio into the chips' receive slots,
// through the chips onto the lines, the phones through the frame (their hook
// changes interrupt the chips at their exact times), the lines' audio back
// through the chips' transmit slots to the host; then the adapters' service.
func (b *ChipBoard) Tick(tx, rx []hal.Frame) (time.Time, error) {
	t, skipped, err := b.frame()
	if err != nil {
		return time.Time{}, err
	}
	for _, c := range b.set.Chips {
		c.AdvanceTo(t)
	}
	b.bus.Begin()
	for i, s := range b.set.Slots {
		b.bus.HostSend(s.Tx, s.Format, &tx[i])
	}
	for _, c := range b.set.Chips {
		c.PCMReceive(b.bus)
	}
	for _, p := range b.phones {
		p.Step(t)
	}
	for _, c := range b.set.Chips {
		c.PCMTransmit(b.bus)
	}
	for i, s := range b.set.Slots {
		b.bus.HostReceive(s.Rx, s.Format, &rx[i])
	}
	end := b.carried(t, skipped)
	if b.set.Service != nil {
		b.set.Service(end)
	}
	return end, nil
}

// Close halts every line.
func (b *ChipBoard) Close() error {
	if !b.close() {
		return nil
	}
	if b.set.Close != nil {
		return b.set.Close()
	}
	return nil
}
