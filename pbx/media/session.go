package media

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/jitter"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
	"github.com/hookswitch/hookswitch/pbx/media/rtpstats"
	"github.com/hookswitch/hookswitch/pbx/media/sdp"
)

// LatchMode chooses the symmetric-RTP policy (see the package comment).
type LatchMode uint8

// Latch modes.
const (
	LatchAfter LatchMode = iota // latch after LatchPackets from a new source (default)
	LatchNever                  // accept from anywhere, send only to the negotiated address
)

// Config builds a Session.
type Config struct {
	// Conn is the RTP socket. The session owns it from New on and closes it.
	Conn net.PacketConn
	// RTCPConn is the RTCP socket (RTP port + 1), owned likewise. Leave it nil
	// with rtcp-mux (RTCP then shares Conn) or to run without RTCP.
	RTCPConn net.PacketConn
	// Socket and RTCPSocket replace Conn and RTCPConn with tick-polled
	// sockets (Linux): Start then runs no reader goroutine, and the media
	// tick calls Poll before ReadFrame. The session owns them likewise.
	Socket, RTCPSocket *Socket
	// Mux replaces all of them with a shared port pair: the tick calls the
	// Mux's Poll and Flush instead, and the session only registers with it.
	Mux *Mux
	// Media is what offer/answer agreed (pbx/media/sdp).
	Media sdp.Negotiated
	// SSRC, Seq and Timestamp start our stream. RFC 3550 §5.1 wants the
	// initial sequence number and timestamp random; the caller draws them
	// (tests pass fixed ones).
	SSRC      uint32
	Seq       uint16
	Timestamp uint32
	// CNAME for RTCP SDES (RFC 3550 §6.5.1), e.g. "hookswitch@192.0.2.1".
	CNAME string
	// Now is the clock: packet arrival times (jitter) and RTCP timestamps.
	Now func() time.Time
	// Latch and LatchPackets set the symmetric-RTP policy; 0 packets means 3.
	Latch        LatchMode
	LatchPackets int
	// RTCPInterval is the mean report interval; 0 means 5 s, the RFC 3550
	// §6.2 minimum. Each interval is randomised over [0.5, 1.5]× (§6.3.1).
	RTCPInterval time.Duration
	Jitter       jitter.Opts
	EventSend    rtpevent.SenderOpts
	EventReceive rtpevent.ReceiverOpts
	// Log receives rare events (latching, SSRC changes, socket errors); never
	// per packet. Nil discards.
	Log *slog.Logger
}

const (
	frame          = hal.FrameSamples
	headerSize     = 12   // RTP fixed header, RFC 3550 §5.1; we send no CSRC or extension
	maxPacket      = 1500 // receive buffer: an Ethernet MTU
	digitQueue     = 32
	defaultLatchN  = 3
	defaultRTCPInt = 5 * time.Second
)

// Session is one call leg's RTP stream.
type Session struct {
	rtpIO, rtcpIO packetIO
	mux           *Mux
	muxFlow       flow // the stream the Mux routes here; guarded by mux.mu
	hasRTCP       bool
	now           func() time.Time
	epoch         time.Time
	ssrc          uint32
	cname         string
	log           *slog.Logger
	latchMode     LatchMode
	latchN        int

	media atomic.Pointer[sdp.Negotiated]
	peer  atomic.Pointer[peer]

	tx  sender
	txn struct{ packets, octets, digits atomic.Uint64 }

	mu sync.Mutex // guards rx
	rx receiver

	digits chan rtpevent.Report

	// Receive buffers of the reader goroutines or Poll: RTP (two, so one
	// read may take two datagrams) and RTCP. A Mux session reads none, and
	// has none (a small session keeps the tick's working set in cache).
	pollBufs [2][]byte
	rtcpBufs [1][]byte
	pollOut  [2]Datagram
	polls    uint64

	startOnce sync.Once
	closeOnce sync.Once
	closed    atomic.Bool
	wg        sync.WaitGroup
}

// sender is the transmit state, owned by the media tick goroutine.
type sender struct {
	hdr      rtp.Header
	buf      [headerSize + maxPacket]byte
	seq      uint16
	ts       uint32
	marker   bool
	ev       *rtpevent.Sender
	evPkt    rtpevent.Packet
	ticks    uint64
	nextRTCP uint64
	sentRTP  bool // since the last RTCP report (RFC 3550 §6.4: SR only if we sent)
	packets  uint64
	octets   uint64 // RTP payload octets sent (RFC 3550 §6.4.1 sender's octet count)
	rng      *rand.Rand
	interval uint64 // ticks
}

// receiver is the receive state, guarded by Session.mu.
type receiver struct {
	pkt      rtp.Packet
	pcm      [maxPacket]int16
	jb       *jitter.Buffer
	src      rtpstats.Source
	ev       *rtpevent.Receiver
	evOut    [3]rtpevent.Report
	ssrc     uint32
	haveSSRC bool

	// symmetric RTP
	heard bool      // a packet came from the current destination
	cand  candidate // a source that may become the destination

	c rxCounters

	// RTCP from the peer
	lsr       uint32    // middle 32 bits of the NTP time of their last SR (RFC 3550 §6.4.1)
	lsrAt     time.Time // when it arrived
	rtt       time.Duration
	haveRTT   bool
	remote    remoteReport
	byeSeen   bool
	maxJitter uint32
}

// candidate is a new source address counting towards latching.
type candidate struct {
	addr    netip.AddrPort
	ssrc    uint32
	lastSeq uint16
	count   int
}

type rxCounters struct {
	packets, octets uint64 // RTP audio and event packets accepted
	malformed       uint64
	foreign         uint64 // from an address we have not latched to
	unknownPT       uint64
	comfortNoise    uint64
	notReceiving    uint64 // arrived while our direction excludes receiving
	badSeq          uint64
	ssrcChanges     uint64
	digits          uint64
	digitsDropped   uint64 // the Digits channel was full
	rtcpPackets     uint64
	rtcpMalformed   uint64
	latches         uint64
	readErrors      uint64
}

type remoteReport struct {
	valid        bool
	fractionLost uint8
	cumLost      int32
	jitter       uint32
}

// New builds a session. It starts no goroutine: call Start.
func New(c Config) (*Session, error) {
	if c.Conn == nil && c.Socket == nil && c.Mux == nil {
		return nil, ErrNoConn
	}
	if c.Now == nil {
		return nil, ErrNoClock
	}
	if !c.Media.Codec.Valid() {
		return nil, ErrCodec
	}
	if c.LatchPackets <= 0 {
		c.LatchPackets = defaultLatchN
	}
	if c.RTCPInterval <= 0 {
		c.RTCPInterval = defaultRTCPInt
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Session{
		rtpIO:     newPacketIO(c.Conn, c.Socket),
		now:       c.Now,
		epoch:     c.Now(),
		ssrc:      c.SSRC,
		cname:     c.CNAME,
		log:       c.Log,
		latchMode: c.Latch,
		latchN:    c.LatchPackets,
		digits:    make(chan rtpevent.Report, digitQueue),
	}
	if c.Mux != nil {
		s.mux = c.Mux
		s.rtpIO = packetIO{mux: c.Mux}
	}
	switch {
	case c.Mux != nil && c.Media.RTCPMux:
		s.rtcpIO, s.hasRTCP = s.rtpIO, true
	case c.Mux != nil:
		s.rtcpIO, s.hasRTCP = packetIO{mux: c.Mux, rtcp: true}, true
	case c.Media.RTCPMux:
		s.rtcpIO, s.hasRTCP = s.rtpIO, true
	case c.RTCPSocket != nil:
		s.rtcpIO, s.hasRTCP = newPacketIO(nil, c.RTCPSocket), true
	case c.RTCPConn != nil:
		s.rtcpIO, s.hasRTCP = newPacketIO(c.RTCPConn, nil), true
	}
	if c.Mux == nil {
		bufs := make([]byte, 3*maxPacket)
		s.pollBufs = [2][]byte{bufs[:maxPacket:maxPacket], bufs[maxPacket : 2*maxPacket : 2*maxPacket]}
		s.rtcpBufs = [1][]byte{bufs[2*maxPacket:]}
	}
	m := c.Media
	s.media.Store(&m)
	s.peer.Store(newPeer(m.Remote, m.RemoteRTCP, false))

	s.tx.hdr = rtp.Header{Version: 2, SSRC: c.SSRC}
	s.tx.seq, s.tx.ts, s.tx.marker = c.Seq, c.Timestamp, true
	s.tx.ev = rtpevent.NewSender(c.EventSend)
	s.tx.rng = rand.New(rand.NewPCG(uint64(c.SSRC), uint64(c.Seq)<<32|uint64(c.Timestamp)))
	s.tx.interval = uint64(c.RTCPInterval / hal.FrameDuration)
	// RFC 3550 §6.2: the first report may go after half the minimum interval.
	s.tx.nextRTCP = s.randomInterval() / 2

	s.rx.src.Probation = 1 // the peer is vouched for by SDP and address: no A.1 probation
	s.rx.jb = jitter.New(c.Jitter)
	s.rx.ev = rtpevent.NewReceiver(c.EventReceive)
	return s, nil
}

// publishEvery is how many packets the sent counts Stats reports may trail.
const publishEvery = 8

// PublishStats makes Stats's sent counts exact; call it from the media tick
// goroutine (Stats from other goroutines may trail by a few packets).
func (s *Session) PublishStats() { s.publish() }

// publish makes the tick's sent counts visible to Stats.
func (s *Session) publish() {
	s.txn.packets.Store(s.tx.packets)
	s.txn.octets.Store(s.tx.octets)
}

// randomInterval draws an RTCP interval in ticks over [0.5, 1.5] of the mean
// (RFC 3550 §6.3.1).
func (s *Session) randomInterval() uint64 {
	return s.tx.interval/2 + s.tx.rng.Uint64N(s.tx.interval+1)
}

// Start launches the reader goroutines (Conn), or registers the session
// with its Mux; a Socket session needs neither. It is safe to call once;
// later calls do nothing.
func (s *Session) Start() {
	s.startOnce.Do(func() {
		if s.mux != nil {
			s.mu.Lock()
			s.mux.add(s, s.peer.Load()) // from now on the Mux's Poll hands it packets
			s.mu.Unlock()
			return
		}
		if s.rtpIO.sock != nil {
			return // polled: Poll reads
		}
		s.wg.Add(1)
		go s.readLoop(&s.rtpIO, s.pollBufs[0], false)
		if s.hasRTCP && !s.rtcpIO.same(&s.rtpIO) {
			s.wg.Add(1)
			go s.readLoop(&s.rtcpIO, s.rtcpBufs[0], true)
		}
	})
}

// Close closes the sockets and waits for the reader goroutines. It sends no
// RTCP BYE; call Bye first for that.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.mux != nil {
			s.mu.Lock()
			s.mux.remove(s, s.peer.Load(), s.rx.ssrc, s.rx.haveSSRC)
			s.mu.Unlock()
		}
		err = s.rtpIO.close()
		if s.hasRTCP && !s.rtcpIO.same(&s.rtpIO) {
			err = errors.Join(err, s.rtcpIO.close())
		}
		s.wg.Wait()
	})
	return err
}

// Update applies a new offer/answer outcome (a re-INVITE: hold, resume, a new
// address or codec). A changed remote address resets latching.
func (s *Session) Update(m sdp.Negotiated) error {
	if !m.Codec.Valid() {
		return ErrCodec
	}
	old := s.media.Load()
	s.media.Store(&m)
	if old.Remote != m.Remote || old.RemoteRTCP != m.RemoteRTCP {
		s.mu.Lock()
		s.setPeer(newPeer(m.Remote, m.RemoteRTCP, false))
		s.rx.heard, s.rx.cand = false, candidate{}
		s.mu.Unlock()
	}
	return nil
}

// Digits delivers received RFC 4733 digits: one Begin and one End report per
// digit. The channel is buffered and never closed; reports that find it full
// are dropped and counted.
func (s *Session) Digits() <-chan rtpevent.Report { return s.digits }

// arrival converts a time to 8 kHz units since the session began.
func (s *Session) arrival(t time.Time) uint32 {
	return uint32(t.Sub(s.epoch) / (time.Second / hal.SampleRate))
}
