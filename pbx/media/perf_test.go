package media

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
)

// rxPacket is a reusable received packet whose sequence number and timestamp
// are bumped in place.
type rxPacket struct {
	buf []byte
	seq uint16
	ts  uint32
}

func newRxPacket(pt uint8, payload int) *rxPacket {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 0x1234}, Payload: make([]byte, payload)}
	for i := range p.Payload {
		p.Payload[i] = byte(i * 7)
	}
	b, _ := p.Marshal()
	return &rxPacket{buf: b}
}

func (p *rxPacket) next() []byte {
	p.seq++
	p.ts += frame
	p.buf[2], p.buf[3] = byte(p.seq>>8), byte(p.seq)
	p.buf[4], p.buf[5], p.buf[6], p.buf[7] = byte(p.ts>>24), byte(p.ts>>16), byte(p.ts>>8), byte(p.ts)
	return p.buf
}

func quietSession(t testing.TB, conn net.PacketConn, remote netip.AddrPort) *Session {
	t.Helper()
	m := negotiated(g711.PCMU, remote, false)
	m.RTCPMux = false // no RTCPConn either: no RTCP in these measurements
	s, err := New(Config{Conn: conn, Media: m, SSRC: 5, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNoAllocationsPerPacket(t *testing.T) {
	s := quietSession(t, newSink(), addrB)
	f := tone(0, 1000, 5000)
	var out hal.Frame
	audio := newRxPacket(0, 160)
	ev := newRxPacket(101, 4)
	now := t0
	digitTicks := 0
	tests := []struct {
		name string
		fn   func()
	}{
		{"WriteFrame", func() { _ = s.WriteFrame(&f) }},
		{"WriteFrame sending a digit", func() {
			if !s.SendingDigit() {
				_ = s.SendDigit(rtpevent.Event(digitTicks%10), 60*time.Millisecond)
			}
			digitTicks++
			_ = s.WriteFrame(&f)
		}},
		{"Receive+ReadFrame", func() {
			now = now.Add(hal.FrameDuration)
			s.Receive(audio.next(), addrB, now)
			s.ReadFrame(&out)
		}},
		{"Receive event", func() {
			b := ev.next()
			b[12], b[13] = 5, 0x0a
			s.Receive(b, addrB, now)
		}},
	}
	for _, tc := range tests {
		tc.fn() // warm up lazily grown state
		if n := testing.AllocsPerRun(2000, tc.fn); n != 0 {
			t.Errorf("%s: %v allocs per packet", tc.name, n)
		}
	}
}

// The real socket paths allocate nothing either: WriteToUDPAddrPort on send,
// and the reader goroutine's ReadFromUDPAddrPort, Receive and ReadFrame.
func TestNoAllocationsOverUDP(t *testing.T) {
	a, b, stop := udpPair(t)
	defer stop()
	f := tone(0, 1000, 5000)
	var out hal.Frame
	var n uint64
	step := func() {
		_ = a.WriteFrame(&f)
		n++
		for received(b) < n {
			time.Sleep(10 * time.Microsecond) // a spinning loop starves the netpoller here
		}
		b.ReadFrame(&out)
	}
	for range 50 {
		step()
	}
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Errorf("%v allocs per packet over UDP", allocs)
	}
}

func received(s *Session) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rx.c.packets
}

func udpPair(t testing.TB) (a, b *Session, stop func()) {
	t.Helper()
	ca, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a = quietSession(t, ca, cb.LocalAddr().(*net.UDPAddr).AddrPort())
	b = quietSession(t, cb, ca.LocalAddr().(*net.UDPAddr).AddrPort())
	a.Start()
	b.Start()
	return a, b, func() { _ = a.Close(); _ = b.Close() }
}

// BenchmarkReceivePacket is the receive path for one 20 ms packet without the
// socket: unmarshal, checks, G.711 decode, jitter push, and the tick's pop.
func BenchmarkReceivePacket(b *testing.B) {
	s := quietSession(b, newSink(), addrB)
	p := newRxPacket(0, 160)
	var out hal.Frame
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(hal.FrameDuration)
		s.Receive(p.next(), addrB, now)
		s.ReadFrame(&out)
	}
}

// BenchmarkSendFrame is the send path without the socket: G.711 encode,
// header marshal.
func BenchmarkSendFrame(b *testing.B) {
	s := quietSession(b, newSink(), addrB)
	f := tone(0, 1000, 5000)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.WriteFrame(&f)
	}
}

// BenchmarkSendFrameUDP adds the sendto system call to 127.0.0.1.
func BenchmarkSendFrameUDP(b *testing.B) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	dst, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	_ = dst.SetReadBuffer(1 << 20)
	go func() { // drain, so the socket buffer never fills
		var buf [2048]byte
		for {
			if _, _, err := dst.ReadFromUDPAddrPort(buf[:]); err != nil {
				return
			}
		}
	}()
	s := quietSession(b, c, dst.LocalAddr().(*net.UDPAddr).AddrPort())
	defer s.Close()
	f := tone(0, 1000, 5000)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.WriteFrame(&f)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRelayUDP runs legs media sessions in pairs over real loopback
// sockets, one packet per leg per tick the way calls do (each socket's reader
// wakes for one packet), and reports the process CPU time per packet. Each
// packet costs one send (encode, marshal, sendto) and one receive (wake-up,
// recvfrom, unmarshal, decode, jitter push, and the tick's pop) — what relaying
// one RTP packet through the PBX costs, since a relayed packet is received on
// one leg and sent on another. Kernel loopback delivery is included.
func BenchmarkRelayUDP(b *testing.B) {
	const pairs = 100
	type pair struct{ tx, rx *Session }
	ps := make([]pair, pairs)
	for i := range ps {
		x, y, stop := udpPair(b)
		defer stop()
		ps[i] = pair{x, y}
	}
	f := tone(0, 1000, 5000)
	var out hal.Frame
	var sent uint64
	var counted atomic.Uint64
	tick := func() {
		for _, p := range ps {
			_ = p.tx.WriteFrame(&f)
		}
		sent++
		time.Sleep(200 * time.Microsecond) // one wait per tick, not per packet: the driver's own cost stays small
		for _, p := range ps {
			for received(p.rx) < sent {
				time.Sleep(20 * time.Microsecond)
			}
			p.rx.ReadFrame(&out)
		}
		counted.Add(pairs)
	}
	for range 20 {
		tick()
	}
	counted.Store(0)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(counted.Load()), "cpu-ns/pkt")
}
