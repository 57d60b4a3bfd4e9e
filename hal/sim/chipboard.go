package sim

import (
	"fmt"
	"sync"
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
	realtime bool
	bus      *pcm.Bus
	set      ChipSet

	mu      sync.Mutex
	now     time.Time
	skipped int64 // frames an overrun skipped (realtime)
	closed  bool

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
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		if opts.Realtime {
			opts.Start = time.Now()
		}
	}
	bus, err := pcm.New(slots)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	b := &ChipBoard{realtime: opts.Realtime, bus: bus, now: opts.Start}
	for range opts.Ports {
		b.wires = append(b.wires, wire.NewWire())
	}
	set, err := build(opts.Start, b.Now, b.wires, bus)
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
		p, err := phone.New(w, opts.Start, po)
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

// Now returns the simulated time: the start of the next frame.
func (b *ChipBoard) Now() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

// Skipped counts the frames a realtime board skipped after stalls (pace).
func (b *ChipBoard) Skipped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.skipped
}

// Tick carries one frame: the host's audio into the chips' receive slots,
// through the chips onto the lines, the phones through the frame (their hook
// changes interrupt the chips at their exact times), the lines' audio back
// through the chips' transmit slots to the host; then the adapters' service.
func (b *ChipBoard) Tick(tx, rx []hal.Frame) (time.Time, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return time.Time{}, hal.ErrClosed
	}
	t := b.now
	b.mu.Unlock()
	var skipped int64
	if b.realtime {
		t, skipped = pace(t)
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
	end := t.Add(hal.FrameDuration)
	b.mu.Lock()
	b.now = end
	b.skipped += skipped
	b.mu.Unlock()
	if b.set.Service != nil {
		b.set.Service(end)
	}
	return end, nil
}

// Close halts every line.
func (b *ChipBoard) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	if b.set.Close != nil {
		return b.set.Close()
	}
	return nil
}
