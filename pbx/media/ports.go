package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// ErrNoPorts is returned when every even port of a range is taken.
var ErrNoPorts = errors.New("media: no free RTP port pair")

// ListenPair binds an RTP socket on an even port and its RTCP socket on the
// next port (RFC 3550 §11), trying even ports from start (rounded up to even,
// and wrapped into [lo, hi)) until one pair is free. The caller draws start
// (at random, or round-robin) so consecutive calls do not reuse a port that
// a late packet of the previous call may still reach.
func ListenPair(ip netip.Addr, lo, hi, start int) (rtp, rtcp *net.UDPConn, err error) {
	lo += lo & 1
	if lo <= 0 || hi > 0xffff || hi-lo < 2 {
		return nil, nil, fmt.Errorf("media: bad port range %d-%d", lo, hi)
	}
	span := (hi - lo) / 2
	first := ((start - lo) / 2) % span
	if first < 0 {
		first += span
	}
	for i := range span {
		p := lo + 2*((first+i)%span)
		rtp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p))))
		if err != nil {
			continue
		}
		rtcp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			_ = rtp.Close()
			continue
		}
		return rtp, rtcp, nil
	}
	return nil, nil, fmt.Errorf("%w in %d-%d", ErrNoPorts, lo, hi)
}

// ListenSocketPair is ListenPair for polled Sockets: an RTP socket on an
// even port and its RTCP socket above it, from start within [lo, hi); lo 0
// takes any even port the system gives.
func ListenSocketPair(ip netip.Addr, lo, hi, start int) (rtp, rtcp *Socket, err error) {
	if lo == 0 {
		for range 16 {
			if rtp, err = ListenSocket(netip.AddrPortFrom(ip, 0)); err != nil {
				return nil, nil, err
			}
			if p := int(rtp.LocalAddr().Port()); p%2 == 0 && p < 0xffff {
				if rtcp, err = ListenSocket(netip.AddrPortFrom(ip, uint16(p+1))); err == nil {
					return rtp, rtcp, nil
				}
			}
			_ = rtp.Close()
		}
		return nil, nil, ErrNoPorts
	}
	lo += lo & 1
	if lo <= 0 || hi > 0xffff || hi-lo < 2 {
		return nil, nil, fmt.Errorf("media: bad port range %d-%d", lo, hi)
	}
	span := (hi - lo) / 2
	first := ((start - lo) / 2) % span
	if first < 0 {
		first += span
	}
	for i := range span {
		p := lo + 2*((first+i)%span)
		rtp, err := ListenSocket(netip.AddrPortFrom(ip, uint16(p)))
		if err != nil {
			continue
		}
		rtcp, err := ListenSocket(netip.AddrPortFrom(ip, uint16(p+1)))
		if err != nil {
			_ = rtp.Close()
			continue
		}
		return rtp, rtcp, nil
	}
	return nil, nil, fmt.Errorf("%w in %d-%d", ErrNoPorts, lo, hi)
}
