package media

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// ntpEpochOffset is 1900-01-01 to 1970-01-01 in seconds: RTCP timestamps are
// NTP format (RFC 3550 §4).
const ntpEpochOffset = 2208988800

func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpMiddle is the middle 32 bits of an NTP timestamp, the unit of LSR and
// DLSR (RFC 3550 §6.4.1): 1/65536 s.
func ntpMiddle(n uint64) uint32 { return uint32(n >> 16) }

// sendReport sends a compound SR or RR plus SDES CNAME (RFC 3550 §6.1). Called
// from the media tick goroutine.
func (s *Session) sendReport(now time.Time) error {
	s.publish()
	pe := s.peer.Load()
	if !pe.rtcp.IsValid() || pe.rtcp.Addr().IsUnspecified() || pe.rtcp.Port() == 0 {
		return nil
	}
	s.mu.Lock()
	blocks := s.receptionReport(now)
	s.mu.Unlock()
	var first rtcp.Packet
	if s.tx.sentRTP { // RFC 3550 §6.4: an SR only from an active sender
		first = &rtcp.SenderReport{
			SSRC:        s.ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     s.tx.ts, // the sampling instant of the next frame: now
			PacketCount: uint32(s.tx.packets),
			OctetCount:  uint32(s.tx.octets),
			Reports:     blocks,
		}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	s.tx.sentRTP = false
	b, err := rtcp.Marshal([]rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, s.cname)})
	if err != nil {
		return fmt.Errorf("media: rtcp: %w", err)
	}
	if _, err := s.rtcpIO.write(b, pe.rtcp, pe.rtcpUA); err != nil {
		return fmt.Errorf("media: send rtcp to %v: %w", pe.rtcp, err)
	}
	return nil
}

// receptionReport builds the report block about the source we receive
// (RFC 3550 §6.4.1). Called with s.mu held.
func (s *Session) receptionReport(now time.Time) []rtcp.ReceptionReport {
	rx := &s.rx
	if !rx.haveSSRC || rx.src.Expected() == 0 {
		return nil
	}
	frac, cum, ext := rx.src.Report()
	var dlsr uint32
	if rx.lsr != 0 {
		dlsr = uint32(now.Sub(rx.lsrAt) * 65536 / time.Second)
	}
	return []rtcp.ReceptionReport{{
		SSRC:               rx.ssrc,
		FractionLost:       frac,
		TotalLost:          uint32(cum) & 0xffffff, // 24-bit two's complement
		LastSequenceNumber: ext,
		Jitter:             rx.jb.Jitter(),
		LastSenderReport:   rx.lsr,
		Delay:              dlsr,
	}}
}

// Bye sends an RTCP BYE (RFC 3550 §6.6) in a compound packet. Call it before
// Close when the call ends; it may be called from any goroutine.
func (s *Session) Bye(reason string) error {
	s.publish()
	pe := s.peer.Load()
	if !s.hasRTCP || !pe.rtcp.IsValid() || pe.rtcp.Addr().IsUnspecified() {
		return nil
	}
	b, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: s.ssrc},
		rtcp.NewCNAMESourceDescription(s.ssrc, s.cname),
		&rtcp.Goodbye{Sources: []uint32{s.ssrc}, Reason: reason},
	})
	if err != nil {
		return fmt.Errorf("media: rtcp bye: %w", err)
	}
	if _, err := s.rtcpIO.write(b, pe.rtcp, pe.rtcpUA); err != nil {
		return fmt.Errorf("media: send rtcp bye: %w", err)
	}
	return nil
}

// receiveRTCP takes one compound RTCP packet from the peer.
func (s *Session) receiveRTCP(b []byte, from netip.AddrPort, now time.Time) {
	pkts, err := rtcp.Unmarshal(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	rx := &s.rx
	if err != nil {
		rx.c.rtcpMalformed++
		return
	}
	rx.c.rtcpPackets++
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			if rx.haveSSRC && p.SSRC == rx.ssrc {
				rx.lsr, rx.lsrAt = ntpMiddle(p.NTPTime), now
				s.latchRTCP(from)
			}
			s.reportsAboutUs(p.Reports, now)
		case *rtcp.ReceiverReport:
			if rx.haveSSRC && p.SSRC == rx.ssrc {
				s.latchRTCP(from)
			}
			s.reportsAboutUs(p.Reports, now)
		case *rtcp.Goodbye:
			rx.byeSeen = true
		}
	}
}

// latchRTCP moves RTCP to the address the current source's RTCP comes from,
// if it is on the host we send RTP to (a NAT maps the RTCP port its own way).
func (s *Session) latchRTCP(from netip.AddrPort) {
	pe := s.peer.Load()
	if s.latchMode == LatchNever || from == pe.rtcp || from.Addr() != pe.rtp.Addr() {
		return
	}
	s.setPeer(newPeer(pe.rtp, from, pe.latched))
}

// reportsAboutUs keeps the peer's view of our stream and the round-trip time
// (RFC 3550 §6.4.1: RTT = A − LSR − DLSR).
func (s *Session) reportsAboutUs(blocks []rtcp.ReceptionReport, now time.Time) {
	for _, r := range blocks {
		if r.SSRC != s.ssrc {
			continue
		}
		cum := int32(r.TotalLost<<8) >> 8 // sign-extend the 24-bit field
		s.rx.remote = remoteReport{valid: true, fractionLost: r.FractionLost, cumLost: cum, jitter: r.Jitter}
		if r.LastSenderReport == 0 {
			continue
		}
		rtt := ntpMiddle(ntpTime(now)) - r.LastSenderReport - r.Delay
		if int32(rtt) >= 0 {
			s.rx.rtt, s.rx.haveRTT = time.Duration(rtt)*time.Second/65536, true
		}
	}
}
