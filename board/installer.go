package board

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/drivers/si3226x"
	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/slic"
)

// Installable is a board whose ports are SLIC lines: the chip-model boards
// and the hardware boards.
type Installable interface {
	hal.Board
	Health
	Port(n int) *slic.Line
	Definition() *Definition
}

// Installer runs the installer's commands (probe, register access,
// calibration, line test, ring) on a board. It is safe for concurrent use
// with the board running: chip access holds the line's lock.
type Installer struct {
	b Installable
}

// ErrNoPort is returned for a port the board does not have.
var ErrNoPort = errors.New("board: no such port")

// NewInstaller returns the installer for b, or an error when b's ports are
// not SLIC lines (the ideal simulated board).
func NewInstaller(b hal.Board) (*Installer, error) {
	ib, ok := b.(Installable)
	if !ok {
		return nil, fmt.Errorf("board: %T has no SLIC chips to install", b)
	}
	return &Installer{b: ib}, nil
}

// ChipReport is one port in the probe.
type ChipReport struct {
	Port   int    `json:"port"`
	Chip   string `json:"chip"` // part and revision as read from the chip
	Part   string `json:"part"` // as the board definition says
	SPI    string `json:"spi"`
	Chain  int    `json:"chain,omitempty"`
	IRQ    string `json:"irq"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Probe reports every port's chip as found.
func (x *Installer) Probe() []ChipReport {
	var out []ChipReport
	st := x.b.PortStatus()
	for _, c := range x.b.Definition().Chips {
		for _, p := range c.Ports {
			s := st[p.Number-1]
			out = append(out, ChipReport{Port: p.Number, Chip: s.Chip, Part: c.Part, SPI: c.SPI, Chain: c.Chain,
				IRQ: s.IRQ, State: s.State, Reason: s.Reason})
		}
	}
	return out
}

// Health reports every port's health.
func (x *Installer) Health() []slic.Status { return x.b.PortStatus() }

func (x *Installer) line(port int) (*slic.Line, error) {
	l := x.b.Port(port)
	if l == nil {
		return nil, fmt.Errorf("%w: %d (the board has %d)", ErrNoPort, port, len(x.b.Lines()))
	}
	return l, nil
}

// driver returns the driver behind a line's chip, once found.
func driver(c slic.Chip) (slic.Chip, error) {
	if d, ok := c.(*deferred); ok {
		if d.c == nil {
			return nil, fmt.Errorf("board: the chip was never found (%s)", d.name)
		}
		return d.c, nil
	}
	return c, nil
}

// RegValue is one register or RAM word.
type RegValue struct {
	Space string `json:"space"` // reg, ir (Si321x indirect), ram (Si3226x)
	Addr  int    `json:"addr"`
	Name  string `json:"name,omitempty"`
	Value uint32 `json:"value"`
}

// Registers dumps port n's direct registers and its indirect registers
// (Si321x) or key RAM words (Si3226x).
func (x *Installer) Registers(port int) ([]RegValue, error) {
	l, err := x.line(port)
	if err != nil {
		return nil, err
	}
	var out []RegValue
	err = l.Locked(func(c slic.Chip) error {
		d, err := driver(c)
		if err != nil {
			return err
		}
		switch d := d.(type) {
		case *si321x.Dev:
			for _, r := range si321x.Registers() {
				v, err := d.ReadReg(r)
				if err != nil {
					return err
				}
				out = append(out, RegValue{"reg", int(r), si321x.RegName(r), uint32(v)})
			}
			for a := range 105 {
				name := si321x.IRName(si321x.IR(a))
				if name == "" {
					continue
				}
				v, err := d.ReadIR(si321x.IR(a))
				if errors.Is(err, si321x.ErrNoSuchIR) {
					continue
				}
				if err != nil {
					return err
				}
				out = append(out, RegValue{"ir", a, name, uint32(v)})
			}
		case *si3226x.Channel:
			dev, k := d.Device(), d.Index()
			for _, r := range si3226x.Registers() {
				v, err := dev.ReadReg(k, r)
				if err != nil {
					return err
				}
				out = append(out, RegValue{"reg", int(r), si3226x.RegName(r), uint32(v)})
			}
			for _, w := range si3226xRAMNames() {
				v, err := dev.ReadRAM(k, w.addr)
				if err != nil {
					return err
				}
				out = append(out, RegValue{"ram", int(w.addr), w.name, v})
			}
		default:
			return fmt.Errorf("board: no register map for %s", d)
		}
		return nil
	})
	return out, err
}

type ramName struct {
	addr uint16
	name string
}

func si3226xRAMNames() []ramName {
	return []ramName{
		{si3226x.RAMMADCVBat, "MADC_VBAT"}, {si3226x.RAMMADCILoop, "MADC_ILOOP"}, {si3226x.RAMVTip, "VTIP"},
		{si3226x.RAMVRing, "VRING"}, {si3226x.RAMSlopeVLim, "SLOPE_VLIM"}, {si3226x.RAMVBathExpect, "VBATH_EXPECT"},
		{si3226x.RAMRingFr, "RINGFR"}, {si3226x.RAMRingAmp, "RINGAMP"}, {si3226x.RAMPDDCDC, "PD_DCDC"},
	}
}

// SetRegister writes one register from an assignment "REG=VAL": REG is a
// register number or name, "ir:N" (Si321x indirect) or "ram:N" (Si3226x
// RAM); VAL is decimal or 0x-hex. It returns the value read back.
func (x *Installer) SetRegister(port int, assign string) (RegValue, error) {
	l, err := x.line(port)
	if err != nil {
		return RegValue{}, err
	}
	lhs, rhs, ok := strings.Cut(assign, "=")
	if !ok {
		return RegValue{}, fmt.Errorf("board: %q is not REG=VAL", assign)
	}
	val, err := strconv.ParseUint(strings.TrimSpace(rhs), 0, 32)
	if err != nil {
		return RegValue{}, fmt.Errorf("board: value %q: %w", rhs, err)
	}
	space, addr := "reg", strings.ToLower(strings.TrimSpace(lhs))
	if s, a, ok := strings.Cut(addr, ":"); ok {
		space, addr = s, a
	}
	var rv RegValue
	err = l.Locked(func(c slic.Chip) error {
		d, err := driver(c)
		if err != nil {
			return err
		}
		a, name, err := lookupAddr(d, space, addr)
		if err != nil {
			return err
		}
		rv = RegValue{Space: space, Addr: a, Name: name}
		return writeRead(d, space, a, uint32(val), &rv.Value)
	})
	return rv, err
}

func lookupAddr(d slic.Chip, space, addr string) (int, string, error) {
	if n, err := strconv.ParseUint(addr, 0, 16); err == nil {
		name := ""
		switch d := d.(type) {
		case *si321x.Dev:
			if space == "ir" {
				name = si321x.IRName(si321x.IR(n))
			} else {
				name = si321x.RegName(uint8(n))
			}
		case *si3226x.Channel:
			_ = d
			name = si3226x.RegName(uint8(n))
		}
		return int(n), name, nil
	}
	var regs []uint8
	var nameOf func(uint8) string
	switch d.(type) {
	case *si321x.Dev:
		regs, nameOf = si321x.Registers(), si321x.RegName
	case *si3226x.Channel:
		regs, nameOf = si3226x.Registers(), si3226x.RegName
	}
	for _, r := range regs {
		if strings.EqualFold(nameOf(r), addr) {
			return int(r), nameOf(r), nil
		}
	}
	return 0, "", fmt.Errorf("board: no register %q", addr)
}

func writeRead(d slic.Chip, space string, a int, v uint32, back *uint32) error {
	switch d := d.(type) {
	case *si321x.Dev:
		switch space {
		case "reg":
			if err := d.WriteReg(uint8(a), uint8(v)); err != nil {
				return err
			}
			r, err := d.ReadReg(uint8(a))
			*back = uint32(r)
			return err
		case "ir":
			if err := d.WriteIR(si321x.IR(a), uint16(v)); err != nil {
				return err
			}
			r, err := d.ReadIR(si321x.IR(a))
			*back = uint32(r)
			return err
		}
	case *si3226x.Channel:
		dev, k := d.Device(), d.Index()
		switch space {
		case "reg":
			if err := dev.WriteReg(k, uint8(a), uint8(v)); err != nil {
				return err
			}
			r, err := dev.ReadReg(k, uint8(a))
			*back = uint32(r)
			return err
		case "ram":
			if err := dev.WriteRAM(k, uint16(a), v); err != nil {
				return err
			}
			r, err := dev.ReadRAM(k, uint16(a))
			*back = r
			return err
		}
	}
	return fmt.Errorf("board: no %q space on this chip", space)
}

// Calibrate reruns port n's calibration.
func (x *Installer) Calibrate(port int) error {
	l, err := x.line(port)
	if err != nil {
		return err
	}
	return l.Locked(func(c slic.Chip) error {
		d, err := driver(c)
		if err != nil {
			return err
		}
		cal, ok := d.(interface{ Calibrate() error })
		if !ok {
			return fmt.Errorf("board: %s cannot calibrate", d)
		}
		return cal.Calibrate()
	})
}

// LineReport is the line test's result, in numbers and in words.
type LineReport struct {
	Port     int                  `json:"port"`
	Chip     string               `json:"chip"`
	Measured proslic.Measurements `json:"measured"`
	Hook     string               `json:"hook"`
	Leakage  string               `json:"leakage"` // pass, fail, not tested
	Verdict  string               `json:"verdict"` // ok, attention, fault
	Findings []string             `json:"findings"`
}

// Thresholds of the line test: what an analog line should show.
const (
	minBatteryV  = 40.0 // below it ringing and long loops fail
	minOnHookV   = 30.0 // on-hook tip-ring voltage (VOC 48 V); less means leakage
	maxOnHookMA  = 2.0  // current with the handset on: none expected
	minOffHookMA = 18.0 // less: a long or resistive loop (ILIM is 20–41 mA)
)

// LineTest measures port n's line: battery, loop voltage and current, and
// (Si321x) the power-up leakage test, and says what an installer should do.
// It takes the port out of use for about a second.
func (x *Installer) LineTest(port int) (LineReport, error) {
	l, err := x.line(port)
	if err != nil {
		return LineReport{}, err
	}
	r := LineReport{Port: port, Leakage: "not tested", Verdict: "ok"}
	st := l.Status()
	r.Chip, r.Hook = st.Chip, st.Hook
	if st.State != "in-service" {
		r.Verdict = "fault"
		r.Findings = append(r.Findings, "the port is out of service: "+st.Reason)
		return r, nil
	}
	err = l.Locked(func(c slic.Chip) error {
		d, err := driver(c)
		if err != nil {
			return err
		}
		m, ok := d.(slic.Measurer)
		if !ok {
			return fmt.Errorf("board: %s does not measure its line", d)
		}
		if r.Measured, err = m.Measure(); err != nil {
			return err
		}
		if lt, ok := d.(interface{ LeakageTest() error }); ok && st.Hook == "on" {
			switch err := lt.LeakageTest(); {
			case err == nil:
				r.Leakage = "pass"
			case errors.Is(err, si321x.ErrLeakage):
				r.Leakage = "fail"
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	r.judge()
	return r, nil
}

func (r *LineReport) judge() {
	m := r.Measured
	add := func(verdict, format string, a ...any) {
		r.Findings = append(r.Findings, fmt.Sprintf(format, a...))
		if verdict == "fault" || r.Verdict == "ok" {
			r.Verdict = verdict
		}
	}
	if m.Battery < minBatteryV {
		add("fault", "battery %.0f V is low (want ≥ %.0f V): check the converter's supply and its fuse", m.Battery, minBatteryV)
	} else {
		r.Findings = append(r.Findings, fmt.Sprintf("battery %.0f V: good", m.Battery))
	}
	if r.Leakage == "fail" {
		add("fault", "excessive leakage: disconnect the line at the port and test again; if it passes then, the wiring or a phone leaks")
	}
	if r.Hook == "off" {
		switch {
		case m.LoopCurrent < minOffHookMA:
			add("attention", "off-hook loop current %.1f mA is low (want ≥ %.0f mA): long or resistive loop, check joints", m.LoopCurrent, minOffHookMA)
		default:
			r.Findings = append(r.Findings, fmt.Sprintf("phone off-hook drawing %.1f mA: loop good", m.LoopCurrent))
		}
		return
	}
	switch {
	case m.LoopCurrent > maxOnHookMA:
		add("fault", "%.1f mA flows with the handset on (want none): a short or leakage on the pair, or a second phone off-hook", m.LoopCurrent)
	case m.Loop < minOnHookV:
		add("attention", "on-hook line voltage %.0f V is low (want ≥ %.0f V): leakage between the wires", m.Loop, minOnHookV)
	default:
		r.Findings = append(r.Findings, fmt.Sprintf("on-hook line %.0f V, no current: pair good", m.Loop))
	}
	if math.IsNaN(m.Loop) {
		add("attention", "no line measurement")
	}
}

// RingResult is what happened while ringing.
type RingResult struct {
	Port     int           `json:"port"`
	Cadences int           `json:"cadences"`
	Answered bool          `json:"answered"`
	After    time.Duration `json:"after_ns"` // time to answer
}

// Ring rings port n for cadences cycles of on/off, ticking the board (so it
// is for a board no daemon is running); an off-hook ends it (ring trip).
func (x *Installer) Ring(port, cadences int, on, off time.Duration) (RingResult, error) {
	l, err := x.line(port)
	if err != nil {
		return RingResult{}, err
	}
	n := len(x.b.Lines())
	tx, rx := make([]hal.Frame, n), make([]hal.Frame, n)
	res := RingResult{Port: port}
	frames := func(d time.Duration) int { return int(d / hal.FrameDuration) }
	var elapsed time.Duration
	defer func() { _ = l.SetFeed(hal.FeedForward) }()
	for res.Cadences = 0; res.Cadences < cadences; res.Cadences++ {
		for _, phase := range []struct {
			feed hal.Feed
			d    time.Duration
		}{{hal.FeedRinging, on}, {hal.FeedForward, off}} {
			if err := l.SetFeed(phase.feed); err != nil {
				return res, err
			}
			for range frames(phase.d) {
				if _, err := x.b.Tick(tx, rx); err != nil {
					return res, err
				}
				elapsed += hal.FrameDuration
				for {
					select {
					case e := <-l.Events():
						if e.Kind == hal.OffHook {
							res.Answered, res.After = true, elapsed
							return res, nil
						}
						continue
					default:
					}
					break
				}
			}
		}
	}
	return res, nil
}

// RingAsync rings port n in the background on a board someone else ticks
// (the daemon's): cadences of on/off paced by sleep, stopping early when
// the phone answers (ring trip) or is off-hook.
func (x *Installer) RingAsync(port, cadences int, on, off time.Duration, sleep func(time.Duration)) error {
	l, err := x.line(port)
	if err != nil {
		return err
	}
	if st := l.Status(); st.State != "in-service" || st.Hook != "on" {
		return fmt.Errorf("board: port %d is %s, hook %s: not ringing it", port, st.State, st.Hook)
	}
	go func() {
		for range cadences {
			if l.SetFeed(hal.FeedRinging) != nil {
				return
			}
			sleep(on)
			if l.Feed() != hal.FeedRinging || l.Status().Hook == "off" {
				return // answered: the ring trip has set the feed
			}
			_ = l.SetFeed(hal.FeedForward)
			sleep(off)
		}
	}()
	return nil
}

// InstallerJSON adapts an Installer to the management API's installer
// interface (pbx/api.Installer), whose results are plain JSON values.
// Sleep paces RingAsync (time.Sleep in the daemon).
type InstallerJSON struct {
	X     *Installer
	Sleep func(time.Duration)
}

// Ring rings a port in the background.
func (j InstallerJSON) Ring(port, cadences, onMS, offMS int) error {
	return j.X.RingAsync(port, cadences, time.Duration(onMS)*time.Millisecond, time.Duration(offMS)*time.Millisecond, j.Sleep)
}

// Probe reports the chips.
func (j InstallerJSON) Probe() any { return j.X.Probe() }

// Health reports the ports' health.
func (j InstallerJSON) Health() any { return j.X.Health() }

// Registers dumps a port's registers.
func (j InstallerJSON) Registers(port int) (any, error) { return j.X.Registers(port) }

// SetRegister writes a register and reads it back.
func (j InstallerJSON) SetRegister(port int, assign string) (any, error) {
	return j.X.SetRegister(port, assign)
}

// Calibrate recalibrates a port.
func (j InstallerJSON) Calibrate(port int) error { return j.X.Calibrate(port) }

// LineTest tests a port's line.
func (j InstallerJSON) LineTest(port int) (any, error) { return j.X.LineTest(port) }
