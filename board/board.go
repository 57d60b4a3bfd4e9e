package board

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/hal/slic"
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

// Health is a board whose ports report their health (state, chip,
// linefeed, measurements, alarm counts) for GET /api/v1/ports.
type Health interface {
	PortStatus() []slic.Status
}

// idealName is the foundation's simulated board of ideal line cards, kept
// for comparison with the chip models: no driver, no PCM slots.
const idealName = "sim-ideal-4fxs"

// Names lists the built-in boards.
func Names() []string {
	n := []string{idealName}
	for _, d := range definitions() {
		n = append(n, d.Name)
	}
	slices.Sort(n)
	return n
}

// Lookup returns a built-in board's definition, or a board file's when name
// is a path (contains a slash or ends in .yaml).
func Lookup(name string) (*Definition, error) {
	if strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return Load(name)
	}
	for _, d := range definitions() {
		if d.Name == name {
			if err := d.Validate(); err != nil {
				return nil, fmt.Errorf("board: built-in: %w", err)
			}
			return &d, nil
		}
	}
	return nil, fmt.Errorf("board: unknown board %q (built-in: %s; or a board file path)", name, strings.Join(Names(), ", "))
}

// Open opens a built-in board by name, or a board file by path.
func Open(name string, o Options) (hal.Board, error) {
	if name == idealName {
		return sim.New(sim.Options{Ports: 4, Country: o.Country, Realtime: o.Realtime, Phone: o.Phone})
	}
	d, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return OpenDefinition(d, o)
}

// OpenDefinition opens the board d describes.
func OpenDefinition(d *Definition, o Options) (hal.Board, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	if o.Country == "" {
		o.Country = d.Country
	}
	if d.Kind == "sim" {
		return openSim(d, o)
	}
	return openHardware(d, o)
}
