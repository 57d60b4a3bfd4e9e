package sip

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/media"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
	"github.com/hookswitch/hookswitch/pbx/media/sdp"
)

// RTPOpts configures the RTP media of call legs.
type RTPOpts struct {
	// Addr is the local address RTP binds to and SDP advertises.
	Addr netip.Addr
	// PortMin and PortMax bound the RTP ports (even; RTCP takes the odd one
	// above, RFC 3550 §11). Zero PortMin uses ephemeral ports.
	PortMin, PortMax int
	Now              func() time.Time
	Log              *slog.Logger
	// Engine, when set, runs a shared media port (media.Mux on PortMin, or
	// any even port): every leg advertises it, and the engine's tick reads
	// and sends all legs' RTP in batches. NewRTPMedia must then be called
	// before the engine runs. Without it (or where the system has no
	// polled sockets) each leg has its own port pair.
	Engine *core.Engine
}

// NewRTPMedia returns the MediaFactory of pbx/media sessions.
func NewRTPMedia(o RTPOpts) MediaFactory {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &ports{o: o, next: o.PortMin}
	if o.Engine != nil {
		mux, err := media.ListenMux(o.Addr, o.PortMin)
		if err != nil {
			o.Log.Warn("sip: no shared media port, one port pair per call", "err", err)
		} else {
			p.mux = mux
			o.Engine.OnTick(mux.Poll)
			o.Engine.AfterTick(func(time.Time) {
				if err := mux.Flush(); err != nil {
					o.Log.Warn("sip: media send", "err", err)
				}
			})
		}
	}
	return func() (Media, error) { return p.newMedia() }
}

// ports hands out RTP/RTCP socket pairs.
type ports struct {
	o    RTPOpts
	mux  *media.Mux // the shared port, or nil
	mu   sync.Mutex
	next int
}

func (p *ports) pair() (rtpC, rtcpC *net.UDPConn, err error) {
	ip := p.o.Addr
	if p.o.PortMin == 0 {
		for range 16 {
			rtpC, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
			if err != nil {
				return nil, nil, err
			}
			port := rtpC.LocalAddr().(*net.UDPAddr).Port
			if port%2 == 0 && port < 65535 {
				if rtcpC, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1)))); err == nil {
					return rtpC, rtcpC, nil
				}
			}
			_ = rtpC.Close()
		}
		return nil, nil, errNoPorts
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.o.PortMax - p.o.PortMin) / 2
	for range span {
		port := p.next &^ 1
		p.next += 2
		if p.next+1 > p.o.PortMax {
			p.next = p.o.PortMin
		}
		rtpC, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			continue
		}
		if rtcpC, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1)))); err == nil {
			return rtpC, rtcpC, nil
		}
		_ = rtpC.Close()
	}
	return nil, nil, errNoPorts
}

var errNoPorts = errors.New("sip: no free RTP port pair")

func (p *ports) newMedia() (*rtpMedia, error) {
	m := &rtpMedia{p: p}
	if p.mux != nil {
		m.mux = p.mux
	} else if sock, rtcp, err := p.socketPair(); err == nil {
		// Tick-polled sockets where the system has them (Linux): no reader
		// goroutine and no wake-up per packet (media.Socket).
		m.sock, m.rtcpSock = sock, rtcp
	} else if m.rtp, m.rtcp, err = p.pair(); err != nil {
		return nil, err
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	m.local = sdp.Local{Addr: p.o.Addr, Port: m.port(), SessionID: binary.BigEndian.Uint64(r[:]) >> 1, Version: 1}
	return m, nil
}

// socketPair binds polled sockets in the configured range.
func (p *ports) socketPair() (rtp, rtcp *media.Socket, err error) {
	if p.o.PortMin == 0 {
		return media.ListenSocketPair(p.o.Addr, 0, 0, 0)
	}
	p.mu.Lock()
	start := p.next
	p.next += 2
	if p.next+1 > p.o.PortMax {
		p.next = p.o.PortMin
	}
	p.mu.Unlock()
	return media.ListenSocketPair(p.o.Addr, p.o.PortMin, p.o.PortMax, start)
}

// rtpMedia adapts a media.Session to Media: it runs the SDP offer/answer
// and creates the session once the first negotiation is done.
type rtpMedia struct {
	p              *ports
	rtp, rtcp      *net.UDPConn  // sockets with reader goroutines, or
	sock, rtcpSock *media.Socket // polled sockets, or
	mux            *media.Mux    // the shared port

	mu      sync.Mutex // signalling side: SDP state
	local   sdp.Local
	offered bool

	sess atomic.Pointer[media.Session]
	// engine goroutine only
	queue  [8]byte // digits waiting for the one being sent
	queued int
	closed bool
}

func (m *rtpMedia) Offer() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.offered {
		m.local.Version++ // RFC 3264 §8: a new offer increments o= version
	}
	m.offered = true
	return sdp.Offer(m.local)
}

func (m *rtpMedia) Answer(offer []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.offered {
		m.local.Version++
	}
	m.offered = true
	ans, neg, err := sdp.Answer(m.local, offer)
	if err != nil {
		return nil, err
	}
	return ans, m.apply(neg)
}

func (m *rtpMedia) Accept(answer []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	neg, err := sdp.ParseAnswer(m.local, answer)
	if err != nil {
		return err
	}
	return m.apply(neg)
}

// apply starts the session on the first agreement and updates it after; m.mu is held.
func (m *rtpMedia) apply(neg sdp.Negotiated) error {
	if s := m.sess.Load(); s != nil {
		return s.Update(neg)
	}
	var r [10]byte
	_, _ = rand.Read(r[:])
	cfg := media.Config{
		Conn: m.rtp, RTCPConn: m.rtcp, Media: neg,
		// RFC 3550 §5.1: random initial SSRC, sequence number and timestamp.
		SSRC: binary.BigEndian.Uint32(r[0:]), Seq: binary.BigEndian.Uint16(r[4:]), Timestamp: binary.BigEndian.Uint32(r[6:]),
		CNAME: "hookswitch@" + m.local.Addr.String(),
		Now:   m.p.o.Now, Log: m.p.o.Log,
	}
	switch {
	case m.mux != nil:
		cfg.Conn, cfg.RTCPConn, cfg.Mux = nil, nil, m.mux
	case m.sock != nil:
		cfg.Conn, cfg.RTCPConn, cfg.Socket, cfg.RTCPSocket = nil, nil, m.sock, m.rtcpSock
	}
	s, err := media.New(cfg)
	if err != nil {
		return fmt.Errorf("sip: media: %w", err)
	}
	s.Start()
	m.sess.Store(s)
	return nil
}

// ReadFrame polls the sockets (a polled session) and plays this tick's frame.
func (m *rtpMedia) ReadFrame(f *hal.Frame) {
	if s := m.sess.Load(); s != nil {
		if m.sock != nil {
			s.Poll(m.p.o.Now())
		}
		s.ReadFrame(f)
		return
	}
	*f = hal.Frame{}
}

// digitLength is how long a digit from an analog phone or INFO is sent for
// (ITU-T Q.24 asks receivers to accept 40 ms; 100 ms is a common send length).
const digitLength = 100 * time.Millisecond

func (m *rtpMedia) WriteFrame(f *hal.Frame) {
	s := m.sess.Load()
	if s == nil {
		return
	}
	if m.queued > 0 && !s.SendingDigit() {
		if ev, ok := rtpevent.ForDigit(rune(m.queue[0])); ok {
			_ = s.SendDigit(ev, digitLength)
		}
		copy(m.queue[:], m.queue[1:m.queued])
		m.queued--
	}
	_ = s.WriteFrame(f)
}

func (m *rtpMedia) SendDigit(d byte) {
	if m.queued < len(m.queue) {
		m.queue[m.queued] = d
		m.queued++
	}
}

func (m *rtpMedia) Digit() (byte, bool) {
	s := m.sess.Load()
	if s == nil {
		return 0, false
	}
	for {
		select {
		case r := <-s.Digits():
			if r.Kind == rtpevent.Begin {
				return byte(r.Event.Digit()), true
			}
		default:
			return 0, false
		}
	}
}

// Stats returns the session's figures (zero before negotiation); the engine
// goroutine calls it, the one that sends, so the sent counts are exact.
func (m *rtpMedia) Stats() media.Stats {
	if s := m.sess.Load(); s != nil {
		s.PublishStats()
		return s.Stats()
	}
	return media.Stats{}
}

func (m *rtpMedia) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if s := m.sess.Load(); s != nil {
		_ = s.Bye("call ended")
		return s.Close()
	}
	switch {
	case m.mux != nil:
		return nil
	case m.sock != nil:
		return errors.Join(m.sock.Close(), m.rtcpSock.Close())
	}
	return errors.Join(m.rtp.Close(), m.rtcp.Close())
}

// port is the local RTP port.
func (m *rtpMedia) port() int {
	if m.mux != nil {
		return m.mux.Port()
	}
	if m.sock != nil {
		return int(m.sock.LocalAddr().Port())
	}
	return m.rtp.LocalAddr().(*net.UDPAddr).Port
}
