package media

import (
	"math"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
	"github.com/hookswitch/hookswitch/pbx/media/mediatest"
	"github.com/hookswitch/hookswitch/pbx/media/sdp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// tone returns frame k of a sine of freq Hz at amplitude amp.
func tone(k int, freq, amp float64) hal.Frame {
	var f hal.Frame
	for i := range f {
		n := float64(k*hal.FrameSamples + i)
		f[i] = int16(amp * math.Sin(2*math.Pi*freq*n/hal.SampleRate))
	}
	return f
}

// goertzel returns the power of freq in x relative to x's total power.
func goertzel(x []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / hal.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2, total float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
		total += float64(v) * float64(v)
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	if total == 0 {
		return 0
	}
	return p / (total * float64(len(x)) / 2)
}

func rms(x []int16) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(x)))
}

// zeroCrossingHz estimates the frequency of a clean tone.
func zeroCrossingHz(x []int16) float64 {
	n := 0
	for i := 1; i < len(x); i++ {
		if (x[i-1] < 0) != (x[i] < 0) {
			n++
		}
	}
	return float64(n) / 2 / (float64(len(x)) / hal.SampleRate)
}

// negotiated returns a sendrecv PCMU/PCMA agreement towards remote.
func negotiated(law g711.Law, remote netip.AddrPort, mux bool) sdp.Negotiated {
	rtcp := netip.AddrPortFrom(remote.Addr(), remote.Port()+1)
	if mux {
		rtcp = remote
	}
	return sdp.Negotiated{
		Codec: law, SendPT: law.PayloadType(), RecvPT: law.PayloadType(),
		Events: true, SendEventPT: 101, RecvEventPT: 101,
		Remote: remote, RemoteRTCP: rtcp, RTCPMux: mux, Direction: sdp.SendRecv,
	}
}

// node is one session on the virtual network.
type node struct {
	s              *Session
	rtp, rtcp      *mediatest.Conn
	addr, rtcpAddr netip.AddrPort // our own addresses: the source the peer sees
}

func newNode(t *testing.T, clock *mediatest.Clock, addr netip.AddrPort, m sdp.Negotiated, ssrc uint32, tune func(*Config)) *node {
	t.Helper()
	n := &node{addr: addr, rtp: mediatest.NewConn(addr)}
	cfg := Config{Conn: n.rtp, Media: m, SSRC: ssrc, Seq: uint16(ssrc), Timestamp: ssrc * 7, CNAME: "test@" + addr.String(), Now: clock.Now}
	if m.RTCPMux {
		n.rtcpAddr = addr
	} else {
		n.rtcpAddr = netip.AddrPortFrom(addr.Addr(), addr.Port()+1)
		n.rtcp = mediatest.NewConn(n.rtcpAddr)
		cfg.RTCPConn = n.rtcp
	}
	if tune != nil {
		tune(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { _ = s.Close() })
	n.s = s
	return n
}

// impairment scripts what the network does to the i-th packet of a direction.
type impairment struct {
	drop  func(i int) bool
	delay func(i int) time.Duration // default 1 ms
	dup   func(i int) bool
	// from overrides the source address the receiver sees (a NAT).
	from netip.AddrPort
}

type flight struct {
	at   time.Time
	n    int
	to   *mediatest.Conn
	data []byte
	from netip.AddrPort
}

// vnet moves packets between nodes in virtual time, 1 ms at a time.
type vnet struct {
	t      *testing.T
	clock  *mediatest.Clock
	queue  []flight
	serial int
	links  []*vlink
}

type vlink struct {
	from, to *node
	imp      impairment
	count    int
}

func newVnet(t *testing.T) *vnet { return &vnet{t: t, clock: mediatest.NewClock(t0)} }

func (v *vnet) link(from, to *node, imp impairment) {
	v.links = append(v.links, &vlink{from: from, to: to, imp: imp})
}

// collect schedules everything the nodes have sent.
func (v *vnet) collect() {
	for _, l := range v.links {
		for _, c := range []*mediatest.Conn{l.from.rtp, l.from.rtcp} {
			if c == nil {
				continue
			}
			for _, d := range c.Sent() {
				v.route(l, c, d)
			}
		}
	}
}

func (v *vnet) route(l *vlink, c *mediatest.Conn, d mediatest.Datagram) {
	// Only what is addressed to the link's far end travels; a real network
	// would deliver it elsewhere.
	var to *mediatest.Conn
	switch {
	case d.Addr == l.to.addr:
		to = l.to.rtp
	case d.Addr == l.to.rtcpAddr && l.to.rtcp != nil:
		to = l.to.rtcp
	default:
		v.t.Logf("packet to %v goes nowhere", d.Addr)
		return
	}
	from := l.from.addr
	if c == l.from.rtcp {
		from = l.from.rtcpAddr
	}
	if l.imp.from.IsValid() {
		from = netip.AddrPortFrom(l.imp.from.Addr(), l.imp.from.Port()+from.Port()-l.from.addr.Port())
	}
	i := l.count
	l.count++
	if l.imp.drop != nil && l.imp.drop(i) {
		return
	}
	delay := time.Millisecond
	if l.imp.delay != nil {
		delay = l.imp.delay(i)
	}
	copies := 1
	if l.imp.dup != nil && l.imp.dup(i) {
		copies = 2
	}
	for range copies {
		v.queue = append(v.queue, flight{at: v.clock.Now().Add(delay), n: v.serial, to: to, data: d.Data, from: from})
		v.serial++
	}
}

// advance moves time on by d, delivering packets as they fall due.
func (v *vnet) advance(d time.Duration) {
	for range d / time.Millisecond {
		v.clock.Advance(time.Millisecond)
		now := v.clock.Now()
		slices.SortStableFunc(v.queue, func(a, b flight) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.n - b.n
		})
		k := 0
		for k < len(v.queue) && !v.queue[k].at.After(now) {
			f := v.queue[k]
			if !f.to.Deliver(f.data, f.from) {
				v.t.Fatal("delivery to a closed conn")
			}
			k++
		}
		v.queue = v.queue[k:]
	}
}

// tick is one 20 ms media tick: write (and collect), 10 ms later read.
func (v *vnet) tick(write, read func()) {
	if write != nil {
		write()
	}
	v.collect()
	v.advance(10 * time.Millisecond)
	if read != nil {
		read()
	}
	v.collect()
	v.advance(10 * time.Millisecond)
}

// sink is a PacketConn that drops what it is given without allocating, for
// allocation tests and benchmarks of the send path.
type sink struct{ *mediatest.Conn }

func (s *sink) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) { return len(b), nil }
func (s *sink) WriteTo(b []byte, _ net.Addr) (int, error)                  { return len(b), nil }

func newSink() *sink {
	return &sink{Conn: mediatest.NewConn(netip.MustParseAddrPort("10.9.9.9:9"))}
}
