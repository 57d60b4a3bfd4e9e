package gpiosim

import (
	"errors"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// ErrNoPWM is returned by PWM: simulated pins have none.
var ErrNoPWM = errors.New("gpiosim: no PWM on a simulated pin")

// Pin is a simulated GPIO pin. It is safe for concurrent use.
type Pin struct {
	name string
	num  int

	mu    sync.Mutex
	level gpio.Level
	out   bool
	pull  gpio.Pull
	edge  gpio.Edge
	edges chan struct{}
	onOut func(gpio.Level)
}

var _ gpio.PinIO = (*Pin)(nil)

// New returns a pin at level l.
func New(name string, num int, l gpio.Level) *Pin {
	return &Pin{name: name, num: num, level: l, edges: make(chan struct{}, 1)}
}

// OnOut sets the function told of every level the host drives (a chip model
// watching its reset pin). It is called without the pin's lock held.
func (p *Pin) OnOut(fn func(gpio.Level)) {
	p.mu.Lock()
	p.onOut = fn
	p.mu.Unlock()
}

// Drive sets the level of an input from the device side (a chip model
// asserting its interrupt). A change matching the edge set by In wakes
// WaitForEdge.
func (p *Pin) Drive(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.level == l {
		return
	}
	p.level = l
	rising := l == gpio.High
	if p.edge == gpio.BothEdges || (rising && p.edge == gpio.RisingEdge) || (!rising && p.edge == gpio.FallingEdge) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// String returns the pin's name.
func (p *Pin) String() string { return p.name }

// Name returns the pin's name.
func (p *Pin) Name() string { return p.name }

// Number returns the pin's number.
func (p *Pin) Number() int { return p.num }

// Function describes the pin's use.
func (p *Pin) Function() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out {
		return "Out/" + p.level.String()
	}
	return "In/" + p.level.String()
}

// Halt does nothing.
func (p *Pin) Halt() error { return nil }

// In makes the pin an input. Pending edges are dropped.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out, p.pull, p.edge = false, pull, edge
	select {
	case <-p.edges:
	default:
	}
	return nil
}

// Read returns the level.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge waits for an edge of the kind set by In, at most timeout
// (-1: forever). It returns at once if one happened since the last call.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	if timeout < 0 {
		<-p.edges
		return true
	}
	select {
	case <-p.edges:
		return true
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.edges:
		return true
	case <-t.C:
		return false
	}
}

// Pull returns the pull set by In.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull is Float.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.Float }

// Out drives the pin from the host side.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	p.out, p.level = true, l
	fn := p.onOut
	p.mu.Unlock()
	if fn != nil {
		fn(l)
	}
	return nil
}

// PWM is not supported.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error { return ErrNoPWM }
