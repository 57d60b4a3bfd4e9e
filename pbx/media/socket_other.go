//go:build !linux

package media

import (
	"errors"
	"net/netip"
	"time"
)

// Socket is the tick-polled UDP socket of Linux; elsewhere ListenSocket
// fails and callers use a net.PacketConn (Config.Conn) instead.
type Socket struct{}

// ListenSocket is not available on this system.
func ListenSocket(netip.AddrPort) (*Socket, error) { return nil, errors.ErrUnsupported }

// LocalAddr is the bound address.
func (s *Socket) LocalAddr() netip.AddrPort { return netip.AddrPort{} }

// Datagram describes one datagram ReadBatch read.
type Datagram struct {
	N    int
	From netip.AddrPort
	At   time.Time
}

// ReadBatch reads nothing.
func (s *Socket) ReadBatch([][]byte, []Datagram) (int, error) { return 0, ErrClosed }

// WriteTo sends nothing.
func (s *Socket) WriteTo([]byte, netip.AddrPort) error { return ErrClosed }

func listenSocket(netip.AddrPort, int, int) (*Socket, error) { return nil, errors.ErrUnsupported }

// WriteBatch sends nothing.
func (s *Socket) WriteBatch([][]byte, []netip.AddrPort) (int, error) { return 0, ErrClosed }

// Close does nothing.
func (s *Socket) Close() error { return nil }
