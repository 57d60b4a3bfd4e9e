package mediatest

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Datagram is one packet written to or delivered through a Conn.
type Datagram struct {
	Data []byte
	Addr netip.AddrPort // destination when written, source when delivered
}

// Conn is an in-memory net.PacketConn. Written packets are kept for the test
// to take with Sent; packets reach the reader only through Deliver. It also
// has the netip methods of *net.UDPConn, so callers take their no-allocation
// path with it.
type Conn struct {
	local netip.AddrPort
	in    chan Datagram
	done  chan struct{} // the reader came back for more: the last delivery is handled
	quit  chan struct{}
	once  sync.Once

	handed bool // reader side only: a delivery is being handled

	mu   sync.Mutex
	sent []Datagram
	// onWrite, if set, sees each written packet instead of it being kept.
	onWrite func(Datagram)
}

// NewConn returns a connection bound to local.
func NewConn(local netip.AddrPort) *Conn {
	return &Conn{local: local, in: make(chan Datagram), done: make(chan struct{}), quit: make(chan struct{})}
}

// OnWrite makes every later write call f (from the writer's goroutine) with a
// copy of the packet instead of keeping it for Sent.
func (c *Conn) OnWrite(f func(Datagram)) {
	c.mu.Lock()
	c.onWrite = f
	c.mu.Unlock()
}

// Deliver hands one packet from src to the reader and waits until the reader
// has processed it (it has asked for the next packet). It reports false if
// the connection was closed first.
func (c *Conn) Deliver(data []byte, src netip.AddrPort) bool {
	d := Datagram{Data: append([]byte(nil), data...), Addr: src}
	select {
	case c.in <- d:
	case <-c.quit:
		return false
	}
	select {
	case <-c.done:
		return true
	case <-c.quit:
		return false
	}
}

// Sent takes the packets written since the last call.
func (c *Conn) Sent() []Datagram {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sent
	c.sent = nil
	return s
}

// ReadFromUDPAddrPort blocks for the next delivered packet.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	if c.handed {
		c.handed = false
		select {
		case c.done <- struct{}{}:
		case <-c.quit:
			return 0, netip.AddrPort{}, net.ErrClosed
		}
	}
	select {
	case d := <-c.in:
		c.handed = true
		return copy(b, d.Data), d.Addr, nil
	case <-c.quit:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

// ReadFrom is ReadFromUDPAddrPort with a net.Addr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(a), nil
}

// WriteToUDPAddrPort records the packet.
func (c *Conn) WriteToUDPAddrPort(b []byte, a netip.AddrPort) (int, error) {
	select {
	case <-c.quit:
		return 0, net.ErrClosed
	default:
	}
	d := Datagram{Data: append([]byte(nil), b...), Addr: a}
	c.mu.Lock()
	f := c.onWrite
	if f == nil {
		c.sent = append(c.sent, d)
	}
	c.mu.Unlock()
	if f != nil {
		f(d)
	}
	return len(b), nil
}

// WriteTo is WriteToUDPAddrPort with a net.Addr.
func (c *Conn) WriteTo(b []byte, a net.Addr) (int, error) {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return 0, net.InvalidAddrError("mediatest: not a UDP address")
	}
	return c.WriteToUDPAddrPort(b, ua.AddrPort())
}

// Close unblocks the reader and makes later I/O fail.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.quit) })
	return nil
}

// LocalAddr returns the bound address.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

// SetDeadline is not supported and does nothing.
func (c *Conn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is not supported and does nothing.
func (c *Conn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is not supported and does nothing.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

var _ net.PacketConn = (*Conn)(nil)
