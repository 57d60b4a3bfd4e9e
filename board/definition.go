package board

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Definition is a board as data: its chips, where each sits on the SPI bus,
// its reset and interrupt GPIOs, the PCM bus and the slot of every port, and
// the ring and feed settings. Built-in boards are Definitions in builtin.go;
// an installer can describe a new board revision in a YAML file with the
// same field names (see testdata/boards/).
type Definition struct {
	Name    string `yaml:"name"`
	Kind    string `yaml:"kind"`    // "sim" (chip models) or "hardware"
	Country string `yaml:"country"` // default country of the installation
	Chips   []Chip `yaml:"chips"`
	PCM     PCM    `yaml:"pcm"`
	Ring    Ring   `yaml:"ring"`
	Feed    Feed   `yaml:"feed"`
}

// Chip is one SLIC chip.
type Chip struct {
	Part  string `yaml:"part"`  // si3210, si3215, si3216, si32260 (dual), …
	SPI   string `yaml:"spi"`   // SPI port: spireg name ("SPI0.0") on hardware, any label on sim
	Chain int    `yaml:"chain"` // daisy-chain position counted from 1; 0 = own chip select
	Reset string `yaml:"reset"` // reset GPIO (gpioreg name); "" = none
	IRQ   string `yaml:"irq"`   // interrupt GPIO; "" = polled
	Ports []Port `yaml:"ports"` // one per channel, in channel order
}

// Port is one FXS port: its number on the box and its PCM time slot.
type Port struct {
	Number int `yaml:"number"` // 1-based, as printed on the box
	Slot   int `yaml:"slot"`   // first 8-bit slot (both directions); linear takes two
}

// PCM is the TDM bus shared by the chips.
type PCM struct {
	Slots  int    `yaml:"slots"`  // 8-bit slots per 8 kHz frame (PCLK = slots × 64 kHz)
	Format string `yaml:"format"` // ulaw, alaw or linear (16-bit, two slots, MSB first)
	Device string `yaml:"device"` // ALSA PCM device on hardware ("hw:0,0")
}

// Ring configures ringing. Cadence is timed by the FXS channel unless OnMS
// and OffMS ask the chip's timers for it (installer's ring test).
type Ring struct {
	Hz    float64 `yaml:"hz"`     // ringing frequency; default 20
	OnMS  int     `yaml:"on_ms"`  // hardware cadence on; 0 = software cadence
	OffMS int     `yaml:"off_ms"` // hardware cadence off
}

// Feed configures the DC feed.
type Feed struct {
	LoopCurrent int `yaml:"loop_current_ma"` // 20..41 mA; default 23
}

// FieldError is a validation error naming the field, as written in a board file.
type FieldError struct {
	Board string
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("board %q: %s: %s", e.Board, e.Field, e.Msg)
}

// partInfo is what the board needs to know of a part.
type partInfo struct {
	family   string // driver: si321x or si3226x
	channels int
}

// parts lists the supported parts.
func parts() map[string]partInfo {
	return map[string]partInfo{
		"si3210": {"si321x", 1}, "si3215": {"si321x", 1}, "si3216": {"si321x", 1},
		"si32260": {"si3226x", 2}, "si32261": {"si3226x", 2}, "si32266": {"si3226x", 2},
	}
}

// Format widths in slots.
func formatWidth(f string) (int, bool) {
	switch f {
	case "ulaw", "alaw":
		return 1, true
	case "linear":
		return 2, true
	}
	return 0, false
}

// Validate checks the definition and fills defaults. The first problem is
// returned as a *FieldError naming the field.
func (d *Definition) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Board: d.Name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if d.Name == "" {
		return bad("name", "missing")
	}
	if d.Kind != "sim" && d.Kind != "hardware" {
		return bad("kind", "%q is neither sim nor hardware", d.Kind)
	}
	if d.Country == "" {
		d.Country = "us"
	}
	if d.Ring.Hz == 0 {
		d.Ring.Hz = 20
	}
	if d.Ring.Hz < 15 || d.Ring.Hz > 70 {
		return bad("ring.hz", "%g Hz outside 15..70", d.Ring.Hz)
	}
	if (d.Ring.OnMS == 0) != (d.Ring.OffMS == 0) || d.Ring.OnMS < 0 || d.Ring.OffMS < 0 {
		return bad("ring.on_ms", "on_ms and off_ms must both be positive or both 0 (software cadence)")
	}
	if d.Feed.LoopCurrent == 0 {
		d.Feed.LoopCurrent = 23
	}
	if d.Feed.LoopCurrent < 20 || d.Feed.LoopCurrent > 41 {
		return bad("feed.loop_current_ma", "%d mA outside 20..41", d.Feed.LoopCurrent)
	}
	width, ok := formatWidth(d.PCM.Format)
	if !ok {
		return bad("pcm.format", "%q is not ulaw, alaw or linear", d.PCM.Format)
	}
	if d.PCM.Slots < 1 || d.PCM.Slots > 128 {
		return bad("pcm.slots", "%d outside 1..128", d.PCM.Slots)
	}
	if d.Kind == "hardware" && d.PCM.Device == "" {
		return bad("pcm.device", "missing (the ALSA device of the PCM bus)")
	}
	if len(d.Chips) == 0 {
		return bad("chips", "no chips")
	}
	known := parts()
	type cs struct {
		spi   string
		chain int
	}
	selects := map[cs]int{}
	numbers := map[int]string{}
	used := make([]string, d.PCM.Slots)
	nports := 0
	for i, c := range d.Chips {
		f := fmt.Sprintf("chips[%d]", i)
		info, ok := known[strings.ToLower(c.Part)]
		if !ok {
			return bad(f+".part", "unknown part %q", c.Part)
		}
		if c.SPI == "" {
			return bad(f+".spi", "missing")
		}
		if c.Chain < 0 || c.Chain > 8 {
			return bad(f+".chain", "%d outside 0 (own chip select) .. 8", c.Chain)
		}
		key := cs{c.SPI, c.Chain}
		if j, dup := selects[key]; dup {
			return bad(f+".spi", "chip select %s chain %d already taken by chips[%d]", c.SPI, c.Chain, j)
		}
		selects[key] = i
		if c.Chain > 0 {
			if j, dup := selects[cs{c.SPI, 0}]; dup {
				return bad(f+".chain", "%s is a daisy chain but chips[%d] has it as its own chip select", c.SPI, j)
			}
		} else {
			for k, j := range selects {
				if k.spi == c.SPI && k.chain > 0 {
					return bad(f+".chain", "%s is a daisy chain (chips[%d]); give this chip its position", c.SPI, j)
				}
			}
		}
		if len(c.Ports) != info.channels {
			return bad(f+".ports", "%s has %d channels, %d ports given", c.Part, info.channels, len(c.Ports))
		}
		for j, p := range c.Ports {
			pf := fmt.Sprintf("%s.ports[%d]", f, j)
			if p.Number < 1 {
				return bad(pf+".number", "%d: ports are numbered from 1", p.Number)
			}
			if other, dup := numbers[p.Number]; dup {
				return bad(pf+".number", "port %d is also %s", p.Number, other)
			}
			numbers[p.Number] = pf
			if p.Slot < 0 || p.Slot+width > d.PCM.Slots {
				return bad(pf+".slot", "%d: a %s port needs slots %d..%d of %d", p.Slot, d.PCM.Format, p.Slot, p.Slot+width-1, d.PCM.Slots)
			}
			for k := p.Slot; k < p.Slot+width; k++ {
				if used[k] != "" {
					return bad(pf+".slot", "slot %d is already %s's", k, used[k])
				}
				used[k] = pf
			}
			nports++
		}
	}
	for n := 1; n <= nports; n++ {
		if _, ok := numbers[n]; !ok {
			return bad("chips", "ports must be numbered 1..%d without gaps; %d is missing", nports, n)
		}
	}
	return nil
}

// Ports returns the number of FXS ports.
func (d *Definition) Ports() int {
	n := 0
	for _, c := range d.Chips {
		n += len(c.Ports)
	}
	return n
}

// Load reads a board file and validates it. Unknown fields are errors, so a
// misspelt key does not silently take a default.
func Load(path string) (*Definition, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	return Parse(b, path)
}

// Parse reads a board definition in YAML; name is used in errors.
func Parse(b []byte, name string) (*Definition, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("board: %s: %w", name, err)
	}
	if err := d.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Board == "" {
			fe.Board = name
		}
		return nil, fmt.Errorf("board: %s: %w", name, err)
	}
	return &d, nil
}

func lower(s string) string { return strings.ToLower(s) }
