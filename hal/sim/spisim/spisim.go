package spisim

import (
	"errors"
	"fmt"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Device is a chip on a chip select. Frame is called once per chip-select
// frame, in order, with the bytes on MOSI; it fills r (same length) with what
// the device drives on MISO. A device that does not drive MISO leaves r
// alone: the bus idles high (0xFF).
type Device interface {
	Frame(w, r []byte)
}

// Errors.
var (
	ErrConnected = errors.New("spisim: port already connected")
	ErrClosed    = errors.New("spisim: port closed")
	ErrInjected  = errors.New("spisim: injected bus error")
)

// Port is a simulated SPI port with one device on its chip select.
type Port struct {
	name string
	dev  Device

	mu        sync.Mutex
	connected bool
	closed    bool
	limit     physic.Frequency
	conn      *Conn
}

var _ spi.PortCloser = (*Port)(nil)

// NewPort returns a port named name with dev on its chip select.
func NewPort(name string, dev Device) *Port { return &Port{name: name, dev: dev} }

// String returns the port's name.
func (p *Port) String() string { return p.name }

// Connect returns the port's connection. Like Linux spidev through periph's
// sysfs driver, a port connects once.
func (p *Port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, ErrClosed
	case p.connected:
		return nil, ErrConnected
	case bits != 8:
		return nil, fmt.Errorf("spisim: %d bits per word not supported", bits)
	case mode&^(spi.Mode3|spi.HalfDuplex|spi.NoCS|spi.LSBFirst) != 0:
		return nil, fmt.Errorf("spisim: invalid mode %#x", int(mode))
	}
	if p.limit != 0 && f > p.limit {
		f = p.limit
	}
	p.connected = true
	p.conn = &Conn{port: p, freq: f, mode: mode}
	return p.conn, nil
}

// LimitSpeed caps the clock of later connections.
func (p *Port) LimitSpeed(f physic.Frequency) error {
	p.mu.Lock()
	p.limit = f
	p.mu.Unlock()
	return nil
}

// Close closes the port.
func (p *Port) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}

// Conn is the connection of a Port.
type Conn struct {
	port *Port
	freq physic.Frequency
	mode spi.Mode

	mu     sync.Mutex
	failN  int // fail the next failN transactions; -1 = all
	txs    int
	frames int
	frame  [maxFrame]byte // joins KeepCS packets into one frame
	rframe [maxFrame]byte
	skew   [maxFrame]byte // what a chip sees in the wrong SPI mode
	rnil   [maxFrame]byte // MISO sink when the caller reads nothing
}

// maxFrame is the longest chip-select frame the simulated bus carries.
const maxFrame = 256

var (
	_ spi.Conn    = (*Conn)(nil)
	_ conn.Limits = (*Conn)(nil)
)

// String names the connection.
func (c *Conn) String() string { return c.port.name }

// Duplex is full.
func (c *Conn) Duplex() conn.Duplex { return conn.Full }

// MaxTxSize is the largest transfer, as spidev's default bufsiz.
func (c *Conn) MaxTxSize() int { return 4096 }

// Mode returns the SPI mode asked for at Connect.
func (c *Conn) Mode() spi.Mode { return c.mode }

// Frequency returns the clock asked for at Connect.
func (c *Conn) Frequency() physic.Frequency { return c.freq }

// Fail makes the next n transactions fail with ErrInjected before any byte is
// clocked; n < 0 fails every transaction until Fail(0).
func (c *Conn) Fail(n int) {
	c.mu.Lock()
	c.failN = n
	c.mu.Unlock()
}

// Stats returns the number of transactions (Tx or TxPackets calls) and
// chip-select frames carried so far.
func (c *Conn) Stats() (transactions, frames int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs, c.frames
}

func (c *Conn) begin() error {
	if c.port.closedNow() {
		return ErrClosed
	}
	if c.failN != 0 {
		if c.failN > 0 {
			c.failN--
		}
		return ErrInjected
	}
	c.txs++
	return nil
}

func (p *Port) closedNow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Tx clocks w out and r in as one chip-select frame.
func (c *Conn) Tx(w, r []byte) error {
	if r != nil && len(r) != len(w) {
		return fmt.Errorf("spisim: len(r) %d != len(w) %d", len(r), len(w))
	}
	if len(w) > maxFrame {
		return fmt.Errorf("spisim: frame of %d bytes exceeds %d", len(w), maxFrame)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.begin(); err != nil {
		return err
	}
	c.deliver(w, r)
	return nil
}

// TxPackets runs packets as one transaction. A packet with KeepCS false ends
// its chip-select frame (periph: CS blips between such packets); packets
// with KeepCS true join the next one into the same frame.
func (c *Conn) TxPackets(p []spi.Packet) error {
	joined := 0
	for i := range p {
		if joined += len(p[i].W); !p[i].KeepCS || i == len(p)-1 {
			if joined > maxFrame {
				return fmt.Errorf("spisim: frame of %d bytes exceeds %d", joined, maxFrame)
			}
			joined = 0
		}
		if p[i].R != nil && len(p[i].R) != len(p[i].W) {
			return fmt.Errorf("spisim: packet %d: len(R) %d != len(W) %d", i, len(p[i].R), len(p[i].W))
		}
		if p[i].BitsPerWord != 0 && p[i].BitsPerWord != 8 {
			return fmt.Errorf("spisim: packet %d: %d bits per word", i, p[i].BitsPerWord)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.begin(); err != nil {
		return err
	}
	n := 0
	start := 0
	for i := range p {
		if p[i].KeepCS && i < len(p)-1 {
			n += copy(c.frame[n:], p[i].W)
			continue
		}
		if n == 0 {
			c.deliver(p[i].W, p[i].R)
		} else {
			n += copy(c.frame[n:], p[i].W)
			c.deliver(c.frame[:n], c.rframe[:n])
			c.scatter(p[start:i+1], c.rframe[:n])
			n = 0
		}
		start = i + 1
	}
	return nil
}

// scatter copies a joined frame's MISO bytes back into its packets.
func (c *Conn) scatter(p []spi.Packet, r []byte) {
	off := 0
	for i := range p {
		if p[i].R != nil {
			copy(p[i].R, r[off:off+len(p[i].W)])
		}
		off += len(p[i].W)
	}
}

func (c *Conn) deliver(w, r []byte) {
	c.frames++
	if r == nil {
		r = c.rnil[:len(w)]
	}
	for i := range r {
		r[i] = 0xFF
	}
	if c.mode&spi.Mode3 != spi.Mode3 {
		// Wrong clock phase or polarity: the chip samples every bit one
		// edge off, which shifts the byte it sees.
		for i, b := range w {
			c.skew[i] = b<<1 | 1
		}
		c.port.dev.Frame(c.skew[:len(w)], r)
		return
	}
	c.port.dev.Frame(w, r)
}
