package sim

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

// Options configure a simulated board.
type Options struct {
	Ports    int           // number of FXS ports
	Country  string        // what the phones are built for (tones, caller ID)
	Start    time.Time     // simulated time of the first frame; default 2026-01-01 09:00 UTC
	Realtime bool          // pace Tick on the wall clock (the daemon); false runs as fast as called (tests)
	Phone    phone.Options // settings for every phone (Country is filled in)
}

// Board is a simulated board: a wire and a phone on every port.
type Board struct {
	clock

	wires  []*wire.Wire
	lines  []hal.Line
	phones []*phone.Phone
}

var _ hal.Board = (*Board)(nil)

// New builds a board with an ideal line card on every port.
func New(opts Options) (*Board, error) {
	return NewWith(opts, func(port int, w *wire.Wire) (hal.Line, error) { return NewLine(port, w), nil })
}

// LineFunc builds the exchange side of a port on its wire.
type LineFunc func(port int, w *wire.Wire) (hal.Line, error)

// NewWith builds a board whose exchange side on each wire comes from mk
// (a chip model driven by its driver, for instance).
func NewWith(opts Options, mk LineFunc) (*Board, error) {
	if opts.Ports < 1 {
		return nil, fmt.Errorf("sim: %d ports", opts.Ports)
	}
	b := &Board{clock: newClock(opts)}
	po := opts.Phone
	po.Country = opts.Country
	for i := range opts.Ports {
		w := wire.NewWire()
		l, err := mk(i+1, w)
		if err != nil {
			return nil, fmt.Errorf("sim: port %d: %w", i+1, err)
		}
		p, err := phone.New(w, b.now, po)
		if err != nil {
			return nil, fmt.Errorf("sim: port %d: %w", i+1, err)
		}
		b.wires = append(b.wires, w)
		b.lines = append(b.lines, l)
		b.phones = append(b.phones, p)
	}
	return b, nil
}

// Lines returns the board's lines in port order.
func (b *Board) Lines() []hal.Line { return b.lines }

// Phone returns the phone on port n (1-based), or nil.
func (b *Board) Phone(n int) *phone.Phone {
	if n < 1 || n > len(b.phones) {
		return nil
	}
	return b.phones[n-1]
}

// Phones returns every phone in port order.
func (b *Board) Phones() []*phone.Phone { return b.phones }

// Tick carries one frame on every wire and steps every phone through it.
func (b *Board) Tick(tx, rx []hal.Frame) (time.Time, error) {
	t, skipped, err := b.frame()
	if err != nil {
		return time.Time{}, err
	}
	for i, w := range b.wires {
		w.Send(&tx[i])
		b.phones[i].Step(t)
		w.Receive(&rx[i])
	}
	return b.carried(t, skipped), nil
}

// Close halts every line.
func (b *Board) Close() error {
	b.close()
	for _, w := range b.wires {
		w.SetFeed(hal.FeedOpen)
	}
	return nil
}
