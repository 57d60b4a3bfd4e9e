package media

import (
	"fmt"
	"net"
	"net/netip"
)

// The netip methods of *net.UDPConn move packets without allocating a
// net.Addr per packet; any PacketConn that has them (mediatest.Conn does) is
// used through them.
type addrPortReader interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
}

type addrPortWriter interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// packetIO adapts a net.PacketConn, or a polled Socket, to AddrPort reads
// and writes.
type packetIO struct {
	conn net.PacketConn
	sock *Socket
	mux  *Mux // RTP through a shared Mux: sends are batched by the tick
	rtcp bool // this is the mux's RTCP side
	r    addrPortReader
	w    addrPortWriter
}

func newPacketIO(c net.PacketConn, sock *Socket) packetIO {
	if sock != nil {
		return packetIO{sock: sock}
	}
	p := packetIO{conn: c}
	p.r, _ = c.(addrPortReader)
	p.w, _ = c.(addrPortWriter)
	return p
}

// same reports whether both use one socket (rtcp-mux).
func (p *packetIO) same(q *packetIO) bool {
	if p.mux != nil {
		return p.mux == q.mux && p.rtcp == q.rtcp
	}
	if p.sock != nil {
		return p.sock == q.sock
	}
	return p.conn == q.conn
}

func (p *packetIO) close() error {
	if p.mux != nil {
		return nil // shared: the Mux's owner closes it
	}
	if p.sock != nil {
		return p.sock.Close()
	}
	return p.conn.Close()
}

func (p *packetIO) read(b []byte) (int, netip.AddrPort, error) {
	if p.r != nil {
		return p.r.ReadFromUDPAddrPort(b)
	}
	n, a, err := p.conn.ReadFrom(b)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, fmt.Errorf("media: packet from non-UDP address %v", a)
	}
	ap := ua.AddrPort()
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// write sends to dst; ua is dst as a *net.UDPAddr, made once per peer change
// for conns without the netip method.
func (p *packetIO) write(b []byte, dst netip.AddrPort, ua *net.UDPAddr) (int, error) {
	switch {
	case p.mux != nil && p.rtcp:
		return len(b), p.mux.rtcp.WriteTo(b, dst)
	case p.mux != nil:
		return len(b), p.mux.queue(b, dst)
	case p.sock != nil:
		return len(b), p.sock.WriteTo(b, dst)
	}
	if p.w != nil {
		return p.w.WriteToUDPAddrPort(b, dst)
	}
	return p.conn.WriteTo(b, ua)
}

// peer is where RTP and RTCP go. It is replaced, never modified, so the send
// path reads it with one atomic load.
type peer struct {
	rtp, rtcp     netip.AddrPort
	rtpUA, rtcpUA *net.UDPAddr
	latched       bool
}

func newPeer(rtp, rtcp netip.AddrPort, latched bool) *peer {
	rtp = netip.AddrPortFrom(rtp.Addr().Unmap(), rtp.Port())
	rtcp = netip.AddrPortFrom(rtcp.Addr().Unmap(), rtcp.Port())
	return &peer{
		rtp: rtp, rtcp: rtcp, latched: latched,
		rtpUA: net.UDPAddrFromAddrPort(rtp), rtcpUA: net.UDPAddrFromAddrPort(rtcp),
	}
}

// canSend reports whether there is an address to send RTP to (not a
// c=0.0.0.0 hold).
func (p *peer) canSend() bool {
	return p.rtp.IsValid() && !p.rtp.Addr().IsUnspecified() && p.rtp.Port() != 0
}
