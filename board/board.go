// Package board knows wiring: which boards exist, what is on them, and how to
// open one. It is the only package that opens hardware (periph.io host,
// spireg, gpioreg) or builds the simulated board.
package board

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
)

// Options are what the daemon decides about any board it opens.
type Options struct {
	Country  string // country of the installation (the simulated phones are built for it)
	Realtime bool   // pace the simulated board on the wall clock
	Phone    phone.Options
}

// Simulated is a board with simulated phones on its ports.
type Simulated interface {
	hal.Board
	Phone(n int) *phone.Phone
	Phones() []*phone.Phone
}

type opener func(Options) (hal.Board, error)

// builtin is the one table of boards known by name.
func builtin() map[string]opener {
	return map[string]opener{
		"sim-4fxs": func(o Options) (hal.Board, error) {
			return sim.New(sim.Options{Ports: 4, Country: o.Country, Realtime: o.Realtime, Phone: o.Phone})
		},
	}
}

// Names lists the built-in boards.
func Names() []string {
	var n []string
	for k := range builtin() {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Open opens a built-in board by name.
func Open(name string, o Options) (hal.Board, error) {
	op, ok := builtin()[name]
	if !ok {
		return nil, fmt.Errorf("board: unknown board %q (built-in: %s)", name, strings.Join(Names(), ", "))
	}
	return op(o)
}
