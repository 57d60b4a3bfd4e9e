//go:build linux

package media

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
)

// muxSession is a session on m whose peer is at "to".
func muxSession(t testing.TB, m *Mux, to netip.AddrPort, ssrc uint32) *Session {
	t.Helper()
	neg := negotiated(g711.PCMU, to, false)
	neg.RemoteRTCP = netip.AddrPortFrom(to.Addr(), to.Port()+1)
	s, err := New(Config{Mux: m, Media: neg, SSRC: ssrc, Now: time.Now, RTCPInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rtpFrom sends RTP packets with ssrc from sock to the mux.
type rtpSource struct {
	sock *Socket
	pkt  *rxPacket
}

func newSource(t testing.TB, ssrc uint32) *rtpSource {
	sock, err := ListenSocket(netip.AddrPortFrom(loopback, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sock.Close() })
	p := newRxPacket(0, 160)
	p.buf[8], p.buf[9], p.buf[10], p.buf[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return &rtpSource{sock: sock, pkt: p}
}

func TestMuxDemultiplexes(t *testing.T) {
	m, err := ListenMux(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Port()%2 != 0 {
		t.Errorf("mux port %d is odd", m.Port())
	}
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	// Two phones with their own addresses, and three calls of one test
	// tool that sends every stream from one address.
	a, b := newSource(t, 0xa), newSource(t, 0xb)
	tool := [3]*rtpSource{newSource(t, 0x100), newSource(t, 0x101), newSource(t, 0x102)}
	for i := 1; i < 3; i++ {
		tool[i].sock = tool[0].sock
	}
	sa := muxSession(t, m, a.sock.LocalAddr(), 1)
	sb := muxSession(t, m, b.sock.LocalAddr(), 2)
	var st [3]*Session
	for i := range st {
		st[i] = muxSession(t, m, tool[0].sock.LocalAddr(), uint32(10+i))
	}
	var out hal.Frame
	for k := range 50 {
		for _, src := range []*rtpSource{a, b, tool[2], tool[0], tool[1]} {
			if k < 3 && src == tool[1] {
				continue // this call's stream starts late
			}
			if err := src.sock.WriteTo(src.pkt.next(), dst); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
		m.Poll(time.Now())
		for _, s := range append([]*Session{sa, sb}, st[:]...) {
			s.ReadFrame(&out)
			_ = s.WriteFrame(&out)
		}
		if err := m.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	m.Sync()
	// The tool's streams go one to a session, in the order they start (the
	// mux cannot know which call each belongs to; each keeps its own).
	for name, want := range map[*Session]uint64{sa: 50, sb: 50, st[0]: 50, st[1]: 50, st[2]: 47} {
		if got := name.Stats().PacketsReceived; got != want || name.Stats().SSRCChanges != 0 {
			t.Errorf("session %d: %d packets, %d SSRC changes; want %d, none", name.ssrc, got, name.Stats().SSRCChanges, want)
		}
	}
	// What the sessions wrote went out in the tick's batch to each peer.
	var bufs [maxBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 1500)
	}
	var dg [maxBatch]Datagram
	n, err := a.sock.ReadBatch(bufs[:], dg[:])
	if err != nil || n == 0 || dg[0].From != dst {
		t.Errorf("phone a got %d datagrams from %v (%v), want the mux port %v", n, dg[0].From, err, dst)
	}
	if m.Dropped() != 0 {
		t.Errorf("%d datagrams dropped", m.Dropped())
	}
}

// A stream from a shared address that no session waits for (a call that
// ended while the tool still sends) is dropped, and the sessions there
// keep their own streams undisturbed.
func TestMuxDropsStrayStream(t *testing.T) {
	m, err := ListenMux(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	tool := [3]*rtpSource{newSource(t, 0x100), newSource(t, 0x101), newSource(t, 0x102)}
	tool[1].sock, tool[2].sock = tool[0].sock, tool[0].sock
	s1 := muxSession(t, m, tool[0].sock.LocalAddr(), 1)
	s2 := muxSession(t, m, tool[0].sock.LocalAddr(), 2)
	var out hal.Frame
	for k := range 10 {
		srcs := []*rtpSource{tool[0], tool[1]}
		if k >= 5 {
			srcs = append(srcs, tool[2]) // the stray stream starts
		}
		for _, src := range srcs {
			if err := src.sock.WriteTo(src.pkt.next(), dst); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
		m.Poll(time.Now())
		s1.ReadFrame(&out)
		s2.ReadFrame(&out)
	}
	for _, s := range []*Session{s1, s2} {
		if st := s.Stats(); st.PacketsReceived != 10 || st.SSRCChanges != 0 {
			t.Errorf("session %d: %d packets, %d SSRC changes; want 10, none", s.ssrc, st.PacketsReceived, st.SSRCChanges)
		}
	}
	if got := m.Dropped(); got != 5 {
		t.Errorf("%d datagrams dropped, want the stray stream's 5", got)
	}
}

// A peer behind NAT whose packets come from another address than its SDP
// named: the only session still waiting takes the stream and latches (after
// LatchPackets) to it, and what it sends then goes there; later, a NAT
// rebinding of the same stream is found by its SSRC.
func TestMuxLatches(t *testing.T) {
	m, err := ListenMux(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	announced := netip.MustParseAddrPort("127.0.0.2:4000") // an address the NAT hides
	s := muxSession(t, m, announced, 1)
	first, rebound := newSource(t, 0x77), newSource(t, 0x77)
	var out hal.Frame
	tick := func(src *rtpSource) {
		if err := src.sock.WriteTo(src.pkt.next(), dst); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		m.Poll(time.Now())
		s.ReadFrame(&out)
		_ = s.WriteFrame(&out)
		if err := m.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		tick(first)
	}
	if st := s.Stats(); !st.Latched || st.Remote != first.sock.LocalAddr() {
		t.Fatalf("after 5 packets from %v: latched %v to %v", first.sock.LocalAddr(), st.Latched, st.Remote)
	}
	rebound.pkt = first.pkt // the same stream, continuing
	for range 5 {
		tick(rebound)
	}
	// Each address's first LatchPackets-1 packets prove the source and are
	// dropped; from the third on they play: 3 + 3.
	if st := s.Stats(); st.Remote != rebound.sock.LocalAddr() || st.PacketsReceived != 6 {
		t.Errorf("after the rebinding: remote %v (want %v), %d packets (want 6)", st.Remote, rebound.sock.LocalAddr(), st.PacketsReceived)
	}
}

// A flood is read a budget at a time: one Poll takes at most
// pollPerSession datagrams per session (plus a batch) and leaves the rest
// in the socket for the next ticks, so the tick that meets it stays short.
func TestMuxPollBudget(t *testing.T) {
	m, err := ListenMux(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	src := newSource(t, 0x9)
	s := muxSession(t, m, src.sock.LocalAddr(), 1)
	const flood = 300
	for range flood {
		if err := src.sock.WriteTo(src.pkt.next(), dst); err != nil {
			t.Fatal(err)
		}
	}
	budget := uint64(pollPerSession + muxBatch)
	var got []uint64
	for range 6 {
		m.Poll(time.Now())
		got = append(got, s.Stats().PacketsReceived)
	}
	want := []uint64{budget, 2 * budget, 3 * budget, 4 * budget, flood, flood}
	if !slices.Equal(got, want) {
		t.Errorf("packets received after each Poll: %v, want %v", got, want)
	}
}

// The mux's tick path allocates nothing: Poll, play out, send, Flush.
func TestMuxNoAllocations(t *testing.T) {
	m, err := ListenMux(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	src := newSource(t, 5)
	s := muxSession(t, m, src.sock.LocalAddr(), 1)
	var out hal.Frame
	var bufs [maxBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 1500)
	}
	var dg [maxBatch]Datagram
	step := func() {
		_ = src.sock.WriteTo(src.pkt.next(), dst)
		m.Poll(time.Now())
		s.ReadFrame(&out)
		_ = s.WriteFrame(&out)
		_ = m.Flush()
		m.Sync()
		_, _ = src.sock.ReadBatch(bufs[:], dg[:])
	}
	for range 50 {
		step()
	}
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("%v allocations per packet through the mux", n)
	}
}

// BenchmarkRelayMux is BenchmarkRelayPolled through one shared Mux: 100
// peers each send a packet a tick, the tick's Poll reads them all, and the
// 100 sessions' packets go back in one Flush.
func BenchmarkRelayMux(b *testing.B) {
	const peers = 100
	m, err := ListenMux(loopback, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	dst := netip.AddrPortFrom(loopback, uint16(m.Port()))
	srcs := make([]*rtpSource, peers)
	sess := make([]*Session, peers)
	for i := range srcs {
		srcs[i] = newSource(b, uint32(i+1))
		sess[i] = muxSession(b, m, srcs[i].sock.LocalAddr(), uint32(1000+i))
	}
	var out hal.Frame
	var bufs [maxBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 1500)
	}
	var dg [maxBatch]Datagram
	var handled uint64
	tick := func() {
		for _, src := range srcs {
			_ = src.sock.WriteTo(src.pkt.next(), dst)
		}
		time.Sleep(200 * time.Microsecond)
		m.Poll(time.Now())
		for _, s := range sess {
			s.ReadFrame(&out)
			_ = s.WriteFrame(&out)
		}
		_ = m.Flush()
		m.Sync()
		for _, src := range srcs { // the peers take what came back
			n, _ := src.sock.ReadBatch(bufs[:], dg[:])
			handled += uint64(n)
		}
	}
	for range 20 {
		tick()
	}
	handled = 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.StopTimer()
	// Each round trip is one packet in and one out of the mux (a relay's
	// work), plus the peers' own send and receive (about as much again).
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(max(handled, 1)), "cpu-ns/roundtrip")
}
