package media

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
	"github.com/hookswitch/hookswitch/pbx/media/jitter"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
	"github.com/hookswitch/hookswitch/pbx/media/rtpstats"
)

// payloadTypeCN is comfort noise, RFC 3389 §4 (static 13 in RFC 3551 Table 4):
// taken as silence, since we never offer it.
const payloadTypeCN = 13

// maxReadErrors ends a reader that keeps failing for a reason other than Close.
const maxReadErrors = 1000

func (s *Session) readLoop(io *packetIO, buf []byte, rtcpOnly bool) {
	defer s.wg.Done()
	errs := 0
	for {
		n, from, err := io.read(buf)
		if err != nil {
			if s.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.mu.Lock()
			s.rx.c.readErrors++
			s.mu.Unlock()
			if errs++; errs == 1 || errs == maxReadErrors {
				s.log.Warn("media: read failed", "err", err, "consecutive", errs)
			}
			if errs >= maxReadErrors {
				return
			}
			continue
		}
		errs = 0
		now := s.now()
		if rtcpOnly {
			s.receiveRTCP(buf[:n], from, now)
			continue
		}
		s.Receive(buf[:n], from, now)
	}
}

// Receive handles one datagram that arrived on the RTP socket from "from" at
// time "at". The reader goroutine calls it for every packet; it is exported
// for callers that run their own socket loop (batched reads). b is not
// retained.
func (s *Session) Receive(b []byte, from netip.AddrPort, at time.Time) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if len(b) < headerSize || b[0]>>6 != 2 { // RTP version 2, RFC 3550 §5.1
		s.mu.Lock()
		s.rx.c.malformed++
		s.mu.Unlock()
		return
	}
	m := s.media.Load()
	if m.RTCPMux && b[1] >= 192 && b[1] <= 223 { // RFC 5761 §4: RTCP packet types 192-223
		s.receiveRTCP(b, from, at)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rx := &s.rx
	p := &rx.pkt
	if err := p.Unmarshal(b); err != nil {
		rx.c.malformed++
		return
	}
	if !s.accept(from, p) {
		return
	}
	if !m.Direction.Receives() {
		rx.c.notReceiving++
		return
	}
	pt := p.PayloadType
	event := m.Events && pt == m.RecvEventPT
	law := m.Codec
	if !event && pt != m.RecvPT {
		var ok bool
		// The other law is played too: SIPp replays its PCMA capture whatever
		// was negotiated, and some gateways switch law mid-call.
		if law, ok = g711.ForPayloadType(pt); !ok {
			if pt == payloadTypeCN {
				rx.c.comfortNoise++
			} else {
				rx.c.unknownPT++
			}
			return
		}
	}
	if !rx.haveSSRC || p.SSRC != rx.ssrc {
		s.newSource(p.SSRC)
	}
	switch rx.src.Update(p.SequenceNumber) {
	case rtpstats.Bad:
		rx.c.badSeq++
		return
	case rtpstats.Restarted:
		rx.jb.Reset()
		rx.ev.Reset()
	}
	rx.c.packets++
	rx.c.octets += uint64(len(p.Payload))
	if event {
		n, err := rx.ev.Receive(p.Timestamp, p.Payload, &rx.evOut)
		if err != nil {
			rx.c.malformed++
		}
		for i := range n {
			s.deliver(rx.evOut[i])
		}
		return
	}
	n := law.DecodeTo(rx.pcm[:], p.Payload)
	rx.jb.Push(p.Timestamp, s.arrival(at), rx.pcm[:n])
	rx.maxJitter = max(rx.maxJitter, rx.jb.Jitter())
}

// accept applies the symmetric-RTP policy to a parsed packet from "from".
// Called with s.mu held.
func (s *Session) accept(from netip.AddrPort, p *rtp.Packet) bool {
	if s.latchMode == LatchNever {
		return true
	}
	rx := &s.rx
	pe := s.peer.Load()
	if from == pe.rtp {
		rx.heard = true
		rx.cand = candidate{} // the current peer is alive: no one else may take over
		return true
	}
	c := &rx.cand
	seq := p.SequenceNumber
	if c.count > 0 && c.addr == from && c.ssrc == p.SSRC && seq-c.lastSeq-1 < 16 {
		c.count++
		c.lastSeq = seq
	} else {
		*c = candidate{addr: from, ssrc: p.SSRC, lastSeq: seq, count: 1}
	}
	if rx.heard && rx.haveSSRC && p.SSRC != rx.ssrc {
		rx.c.foreign++ // once a stream is heard, only that stream may move
		return false
	}
	if c.count < s.latchN {
		rx.c.foreign++
		return false
	}
	rtcpTo := netip.AddrPortFrom(from.Addr(), from.Port()+1) // RFC 3550 §11, until RTCP itself arrives
	if s.media.Load().RTCPMux {
		rtcpTo = from
	}
	s.setPeer(newPeer(from, rtcpTo, true))
	rx.heard = true
	rx.cand = candidate{}
	rx.c.latches++
	s.log.Info("media: latched to RTP source", "from", from, "negotiated", pe.rtp, "ssrc", p.SSRC)
	return true
}

// newSource starts over for a new SSRC. Called with s.mu held.
func (s *Session) newSource(ssrc uint32) {
	rx := &s.rx
	if rx.haveSSRC {
		rx.c.ssrcChanges++
		s.log.Info("media: new RTP source", "old", rx.ssrc, "new", ssrc)
	}
	rx.src.Reset()
	rx.jb.Reset()
	rx.ev.Reset()
	if s.mux != nil {
		s.mux.heard(s, s.peer.Load().rtp, ssrc, rx.ssrc, rx.haveSSRC)
	}
	rx.ssrc, rx.haveSSRC = ssrc, true
}

// setPeer replaces where RTP and RTCP go (called with s.mu held), and tells
// the Mux the session now listens for that address.
func (s *Session) setPeer(p *peer) {
	old := s.peer.Swap(p)
	if s.mux != nil && !s.closed.Load() {
		s.mux.move(s, old, p)
	}
}

// deliver passes a digit report on without blocking. Called with s.mu held.
func (s *Session) deliver(r rtpevent.Report) {
	if r.Kind == rtpevent.Begin {
		s.rx.c.digits++
	}
	select {
	case s.digits <- r:
	default:
		s.rx.c.digitsDropped++
	}
}

// ReadFrame writes the next 20 ms of received audio into f: played from the
// jitter buffer, concealed, or silence. Call it once per media tick.
func (s *Session) ReadFrame(f *hal.Frame) jitter.Output {
	s.mu.Lock()
	out := s.rx.jb.Pop(f)
	var r rtpevent.Report
	if s.rx.ev.Tick(frame, &r) {
		s.deliver(r)
	}
	s.mu.Unlock()
	return out
}

// rtcpPollEvery is how many ticks apart Poll reads the RTCP socket: RTCP
// comes every few seconds (RFC 3550 §6.2), and the kernel's arrival stamps
// keep the round-trip time exact however late it is read.
const rtcpPollEvery = 5

// Poll reads the datagrams waiting on a polled session's sockets (Config.
// Socket) and handles them at their kernel arrival times (now when the
// kernel gave none). The media tick calls it before ReadFrame; it does
// nothing for a session with reader goroutines.
func (s *Session) Poll(now time.Time) {
	if s.rtpIO.sock == nil || s.closed.Load() {
		return
	}
	s.drain(&s.rtpIO, s.pollBufs[:], now, false)
	s.polls++
	if s.hasRTCP && !s.rtcpIO.same(&s.rtpIO) && s.polls%rtcpPollEvery == 0 {
		s.drain(&s.rtcpIO, s.rtcpBufs[:], now, true)
	}
}

// drain reads io until it has nothing more.
func (s *Session) drain(io *packetIO, bufs [][]byte, now time.Time, rtcpOnly bool) {
	for {
		n, err := io.sock.ReadBatch(bufs, s.pollOut[:])
		for i := range n {
			d := &s.pollOut[i]
			at := d.At
			if at.IsZero() {
				at = now
			}
			if rtcpOnly {
				s.receiveRTCP(bufs[i][:d.N], d.From, at)
			} else {
				s.Receive(bufs[i][:d.N], d.From, at)
			}
		}
		if err != nil {
			s.mu.Lock()
			s.rx.c.readErrors++
			s.mu.Unlock()
			return
		}
		if n < len(bufs) {
			return
		}
	}
}
