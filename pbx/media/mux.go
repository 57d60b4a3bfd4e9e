package media

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// muxBatch is how many datagrams a Mux reads or writes a system call.
const muxBatch = 64

// pollPerSession bounds what one Poll reads: datagrams per registered
// session (one RTP packet a tick each, with room for RTCP, events and a
// peer catching up). Beyond it the rest waits in the socket for the next
// tick, so a flood costs the flooded streams packets, not every call a
// stalled tick.
const pollPerSession = 4

// muxSocketBuffer is the Mux sockets' buffer size: a tick's worth of
// packets for a few thousand legs.
const muxSocketBuffer = 8 << 20

// Mux is one RTP socket, and the RTCP socket above it, shared by many
// sessions (Config.Mux): every leg advertises the same port, and packets
// are told apart by where they come from. It reads everything that waited
// with one recvmmsg per 64 datagrams at the start of each tick (Poll), and
// sends what the tick's sessions wrote with one sendmmsg per 64 at its end
// (Flush). Per relayed packet that is a small fraction of a system call
// instead of two, and one socket's state in the cache instead of thousands.
//
// Demultiplexing: a packet goes to the session whose peer (the SDP address,
// or the one it latched to) it comes from; when several sessions share a
// peer address (one test tool playing many phones) the RTP SSRC picks the
// one that already receives that stream, or else the one that has waited
// longest for its peer's first packet; any other stream from there is
// dropped. A packet from an address no session expects is offered to the
// session that already receives its SSRC (a NAT rebinding,
// which that session's latching rules then judge), or, when exactly one
// session still waits for its peer's first packet, to that one; otherwise
// it is dropped. That is weaker than per-leg ports for phones behind NAT
// whose first packet comes from an unannounced address while many calls
// start at once; Socket sessions keep the per-leg behaviour.
//
// Poll and Flush run in the media tick goroutine; sessions register and
// move from any goroutine.
type Mux struct {
	rtp, rtcp *Socket

	mu      sync.Mutex
	byAddr  map[netip.AddrPort][]*Session // current peer RTP address
	byRTCP  map[netip.AddrPort][]*Session // current peer RTCP address
	byFlow  map[flow]*Session             // the stream a session receives: peer address and SSRC
	bySSRC  map[uint32]*Session           // the same by SSRC alone, for a peer that moved
	waiting map[*Session]netip.AddrPort   // have not heard their peer yet, at this address
	// waitingAt lists the waiting sessions by peer address, oldest first:
	// a new stream from an address many sessions share (one test tool or
	// gateway for many calls) finds its session without a scan.
	waitingAt map[netip.AddrPort][]*Session
	members   map[*Session]struct{} // every registered session
	dropped   uint64                // datagrams no session took

	// tick goroutine only
	rx     [][]byte
	rxOut  []Datagram
	rxSess []*Session // where each datagram of the batch goes
	polls  uint64

	// what this tick's sessions wrote; locked, since the tick steps its
	// calls on several cores (core.Engine)
	txMu sync.Mutex
	tx   *txBatch

	// the sender goroutine: it takes a tick's batch from toSend, sends it
	// and hands it back on free; two batches take turns.
	toSend, free chan *txBatch
	sendErrs     chan error
	sendDone     chan struct{}
	closeOnce    sync.Once
}

// txBatch is one tick's datagrams. Its buffers are kept and grow to the
// most a tick has needed, so sending allocates nothing after the first ticks.
type txBatch struct {
	bufs [][]byte
	tos  []netip.AddrPort
	n    int
}

func (b *txBatch) add(p []byte, to netip.AddrPort) {
	if b.n == len(b.bufs) {
		b.bufs = append(b.bufs, make([]byte, 0, headerSize+maxPacket))
		b.tos = append(b.tos, netip.AddrPort{})
	}
	b.bufs[b.n] = append(b.bufs[b.n][:0], p...)
	b.tos[b.n] = to
	b.n++
}

// ListenMux binds the shared RTP socket on port (even; 0 for any even port)
// of ip and the RTCP socket on the port above it (RFC 3550 §11).
func ListenMux(ip netip.Addr, port int) (*Mux, error) {
	var rtp, rtcp *Socket
	var err error
	if port == 0 {
		for range 16 {
			if rtp, err = listenSocket(netip.AddrPortFrom(ip, 0), muxBatch, muxSocketBuffer); err != nil {
				return nil, err
			}
			if p := rtp.LocalAddr().Port(); p%2 == 0 && p < 0xffff {
				if rtcp, err = listenSocket(netip.AddrPortFrom(ip, p+1), muxBatch, muxSocketBuffer); err == nil {
					break
				}
			}
			_ = rtp.Close()
			rtp = nil
		}
		if rtp == nil {
			return nil, ErrNoPorts
		}
	} else {
		if rtp, err = listenSocket(netip.AddrPortFrom(ip, uint16(port)), muxBatch, muxSocketBuffer); err != nil {
			return nil, err
		}
		if rtcp, err = listenSocket(netip.AddrPortFrom(ip, uint16(port+1)), muxBatch, muxSocketBuffer); err != nil {
			_ = rtp.Close()
			return nil, err
		}
	}
	m := &Mux{rtp: rtp, rtcp: rtcp, byAddr: map[netip.AddrPort][]*Session{}, byRTCP: map[netip.AddrPort][]*Session{},
		byFlow: map[flow]*Session{}, bySSRC: map[uint32]*Session{}, waiting: map[*Session]netip.AddrPort{},
		waitingAt: map[netip.AddrPort][]*Session{},
		members:   map[*Session]struct{}{}, rxOut: make([]Datagram, muxBatch), tx: &txBatch{},
		toSend: make(chan *txBatch, 1), free: make(chan *txBatch, 1), sendErrs: make(chan error, 1),
		sendDone: make(chan struct{})}
	m.rx = make([][]byte, muxBatch)
	m.rxSess = make([]*Session, muxBatch)
	for i := range m.rx {
		m.rx[i] = make([]byte, maxPacket)
	}
	m.free <- &txBatch{}
	go m.sender()
	return m, nil
}

// sender sends each tick's batch on its own core, so the tick's goroutine
// only copies packets (sendmmsg on loopback also delivers them, and wakes
// whoever waits for them: most of a send's cost).
func (m *Mux) sender() {
	defer close(m.sendDone)
	for b := range m.toSend {
		if _, err := m.rtp.WriteBatch(b.bufs[:b.n], b.tos[:b.n]); err != nil {
			select {
			case m.sendErrs <- err:
			default:
			}
		}
		b.n = 0
		m.free <- b
	}
}

// Port is the RTP port every session of the mux advertises.
func (m *Mux) Port() int { return int(m.rtp.LocalAddr().Port()) }

// Dropped counts datagrams that no session took.
func (m *Mux) Dropped() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// Close stops the sender and releases the sockets. No Flush may follow.
func (m *Mux) Close() error {
	m.closeOnce.Do(func() {
		close(m.toSend)
		<-m.sendDone
	})
	err := m.rtp.Close()
	if e := m.rtcp.Close(); err == nil {
		err = e
	}
	return err
}

func addSession(list []*Session, s *Session) []*Session {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func removeSession(list []*Session, s *Session) []*Session {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// add registers s under its peer's addresses.
func (m *Mux) add(s *Session, pe *peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byAddr[pe.rtp] = addSession(m.byAddr[pe.rtp], s)
	m.byRTCP[pe.rtcp] = addSession(m.byRTCP[pe.rtcp], s)
	m.wait(s, pe.rtp)
	m.members[s] = struct{}{}
}

func (m *Mux) wait(s *Session, at netip.AddrPort) {
	m.waiting[s] = at
	m.waitingAt[at] = append(m.waitingAt[at], s)
}

// unwait: s heard its stream, or leaves.
func (m *Mux) unwait(s *Session) {
	at, ok := m.waiting[s]
	if !ok {
		return
	}
	delete(m.waiting, s)
	if l := removeSession(m.waitingAt[at], s); len(l) == 0 {
		delete(m.waitingAt, at)
	} else {
		m.waitingAt[at] = l
	}
}

// move re-registers s when its peer changes (a re-INVITE, latching).
func (m *Mux) move(s *Session, old, now *peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindex(old.rtp, old.rtcp, s)
	m.byAddr[now.rtp] = addSession(m.byAddr[now.rtp], s)
	m.byRTCP[now.rtcp] = addSession(m.byRTCP[now.rtcp], s)
	if _, ok := m.waiting[s]; ok {
		m.unwait(s)
		m.wait(s, now.rtp)
	}
}

func (m *Mux) unindex(rtp, rtcp netip.AddrPort, s *Session) {
	if l := removeSession(m.byAddr[rtp], s); len(l) == 0 {
		delete(m.byAddr, rtp)
	} else {
		m.byAddr[rtp] = l
	}
	if l := removeSession(m.byRTCP[rtcp], s); len(l) == 0 {
		delete(m.byRTCP, rtcp)
	} else {
		m.byRTCP[rtcp] = l
	}
}

// flow is one RTP stream as it arrives: source address and SSRC. Two test
// tools may well pick the same SSRCs, so the SSRC alone does not do.
type flow struct {
	from netip.AddrPort
	ssrc uint32
}

// remove forgets s (Close).
func (m *Mux) remove(s *Session, pe *peer, ssrc uint32, haveSSRC bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindex(pe.rtp, pe.rtcp, s)
	if haveSSRC {
		m.forget(s, ssrc)
	}
	m.unwait(s)
	delete(m.members, s)
}

func (m *Mux) forget(s *Session, ssrc uint32) {
	if m.bySSRC[ssrc] == s {
		delete(m.bySSRC, ssrc)
	}
	if m.byFlow[s.muxFlow] == s {
		delete(m.byFlow, s.muxFlow)
	}
}

// heard records that s receives remote stream ssrc from "from".
func (m *Mux) heard(s *Session, from netip.AddrPort, ssrc uint32, old uint32, hadOld bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if hadOld {
		m.forget(s, old)
	}
	s.muxFlow = flow{from, ssrc}
	m.byFlow[s.muxFlow] = s
	m.bySSRC[ssrc] = s
	m.unwait(s)
}

// route picks the session for a datagram from "from"; ssrc is the RTP or
// RTCP sender SSRC (ok false when too short to carry one). m.mu is held.
func (m *Mux) route(rtcp bool, from netip.AddrPort, ssrc uint32, ok bool) *Session {
	index := m.byAddr
	if rtcp {
		index = m.byRTCP
	}
	list := index[from]
	switch {
	case len(list) == 1:
		return list[0]
	case len(list) > 1:
		// Many sessions share the address: the SSRC tells their streams apart.
		switch {
		case !ok:
		case rtcp:
			if s := m.bySSRC[ssrc]; s != nil && s.peer.Load().rtcp == from {
				return s
			}
		default:
			if s := m.byFlow[flow{from, ssrc}]; s != nil {
				return s
			}
			// A new stream: the session that has waited longest for one
			// from here, claimed now so the rest of the batch finds it.
			if w := m.waitingAt[from]; len(w) > 0 {
				s := w[0]
				m.unwait(s)
				m.byFlow[flow{from, ssrc}] = s
				return s
			}
		}
		// A stream none of them expects (one whose call ended) is dropped
		// rather than handed to a session whose own stream it would upset.
		m.dropped++
		return nil
	}
	if ok {
		if s := m.bySSRC[ssrc]; s != nil {
			return s
		}
	}
	if len(m.waiting) == 1 {
		for s := range m.waiting {
			return s
		}
	}
	m.dropped++
	return nil
}

// Poll reads the datagrams waiting on the RTP socket (and, every fifth
// tick, the RTCP socket), up to pollPerSession per session, and hands each
// to its session, at its kernel
// arrival time (now when there is none). Call it at the start of the tick,
// before the sessions' ReadFrame.
func (m *Mux) Poll(now time.Time) {
	m.mu.Lock()
	budget := pollPerSession*len(m.members) + muxBatch
	m.mu.Unlock()
	m.drain(m.rtp, now, false, budget)
	m.polls++
	if m.polls%rtcpPollEvery == 0 {
		m.drain(m.rtcp, now, true, budget)
	}
}

// drain reads and routes datagrams until the socket is empty or budget
// datagrams were read.
func (m *Mux) drain(sock *Socket, now time.Time, rtcp bool, budget int) {
	for budget > 0 {
		n, err := sock.ReadBatch(m.rx[:min(len(m.rx), budget)], m.rxOut)
		budget -= n
		// Route the whole batch under one lock, then hand the packets over
		// without it (a session may re-register while it takes one).
		m.mu.Lock()
		for i := range n {
			d := &m.rxOut[i]
			b := m.rx[i][:d.N]
			// RTP SSRC: bytes 8-11 (RFC 3550 §5.1); RTCP carries its sender
			// SSRC at 4-7 (§6.4), also on the RTP port with rtcp-mux (RFC 5761).
			off := 8
			if rtcp || len(b) > 1 && b[1] >= 192 && b[1] <= 223 {
				off = 4
			}
			ssrc, ok := ssrcAt(b, off)
			m.rxSess[i] = m.route(rtcp, d.From, ssrc, ok)
		}
		m.mu.Unlock()
		for i := range n {
			s := m.rxSess[i]
			if s == nil {
				continue
			}
			m.rxSess[i] = nil
			d := &m.rxOut[i]
			at := d.At
			if at.IsZero() {
				at = now
			}
			if rtcp {
				s.receiveRTCP(m.rx[i][:d.N], d.From, at)
			} else {
				s.Receive(m.rx[i][:d.N], d.From, at)
			}
		}
		if err != nil || n < len(m.rx) {
			return
		}
	}
}

func ssrcAt(b []byte, off int) (uint32, bool) {
	if len(b) < off+4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[off:]), true
}

// queue copies one datagram into this tick's send batch.
func (m *Mux) queue(b []byte, to netip.AddrPort) error {
	m.txMu.Lock()
	m.tx.add(b, to)
	m.txMu.Unlock()
	return nil
}

// Flush hands the datagrams the tick's sessions wrote to the sender, and
// reports an error the sender met since the last Flush. Call it at the end
// of the tick. It waits only if the sender has not finished the previous
// tick's batch.
func (m *Mux) Flush() error {
	var err error
	select {
	case err = <-m.sendErrs:
	default:
	}
	if m.tx.n == 0 {
		return err
	}
	m.toSend <- m.tx
	m.tx = <-m.free
	return err
}

// Sync waits until everything flushed so far has been sent (tests).
func (m *Mux) Sync() {
	b := <-m.free
	m.free <- b
}
