package fxs

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// Bank is every FXS port of a board: the engine's frontend.
type Bank struct {
	board  hal.Board
	ports  []*Port
	tx, rx []hal.Frame
}

var _ core.Frontend = (*Bank)(nil)

// Subscriber is the user of a port.
type Subscriber struct {
	Party              // number and name, sent as caller ID
	NoCallWaiting bool // a second call gets busy instead of the call-waiting tone
}

// Options configure a bank.
type Options struct {
	Country  string
	Override Override
	// Subscriber returns who is on a port and what the line offers them.
	Subscriber func(port int) Subscriber
}

// NewBank builds one port channel per line of the board.
func NewBank(board hal.Board, log *slog.Logger, opts Options) (*Bank, error) {
	plan, err := tone.PlanFor(opts.Country)
	if err != nil {
		return nil, fmt.Errorf("fxs: %w", err)
	}
	t := timesFor(opts.Country)
	t.apply(opts.Override)
	lines := board.Lines()
	b := &Bank{board: board, tx: make([]hal.Frame, len(lines)), rx: make([]hal.Frame, len(lines))}
	for _, l := range lines {
		var sub Subscriber
		if opts.Subscriber != nil {
			sub = opts.Subscriber(l.Port())
		}
		b.ports = append(b.ports, newPort(l, log, sub, t, plan))
	}
	return b, nil
}

// Attach connects every port to the engine that routes its calls.
func (b *Bank) Attach(e *core.Engine) {
	for _, p := range b.ports {
		p.eng = e
	}
}

// Ports returns the ports in port order.
func (b *Bank) Ports() []*Port { return b.ports }

// Port returns port n (1-based), or nil.
func (b *Bank) Port(n int) *Port {
	for _, p := range b.ports {
		if p.line.Port() == n {
			return p
		}
	}
	return nil
}

// Receive ticks the board and hands every port its frame and events.
func (b *Bank) Receive() (time.Time, error) {
	now, err := b.board.Tick(b.tx, b.rx)
	if err != nil {
		return now, err
	}
	for i, p := range b.ports {
		p.receive(now, &b.rx[i])
	}
	return now, nil
}

// Send renders every port's next frame.
func (b *Bank) Send() {
	for i, p := range b.ports {
		p.render(&b.tx[i])
	}
}
