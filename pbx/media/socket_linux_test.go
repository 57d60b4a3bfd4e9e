//go:build linux

package media

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/g711"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func socketPair(t testing.TB) (a, b *Socket) {
	t.Helper()
	a, err := ListenSocket(netip.AddrPortFrom(loopback, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, err = ListenSocket(netip.AddrPortFrom(loopback, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

func TestSocketBatch(t *testing.T) {
	a, b := socketPair(t)
	var bufs [maxBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 64)
	}
	var out [maxBatch]Datagram
	if n, err := b.ReadBatch(bufs[:], out[:]); n != 0 || err != nil {
		t.Fatalf("empty socket: %d %v", n, err)
	}
	before := time.Now()
	for _, msg := range []string{"one", "two", "three", "four", "five", "a datagram longer than its 64-byte buffer, cut short by the read"} {
		if err := a.WriteTo([]byte(msg), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for len(got) < 6 {
		n, err := b.ReadBatch(bufs[:], out[:])
		if err != nil || n == 0 {
			t.Fatalf("read %d %v after %q", n, err, got)
		}
		for i := range n {
			if out[i].From != a.LocalAddr() {
				t.Errorf("from %v, want %v", out[i].From, a.LocalAddr())
			}
			if at := out[i].At; b.stamps && (at.Before(before.Add(-time.Second)) || at.After(time.Now())) {
				t.Errorf("kernel arrival time %v, sent after %v", at, before)
			}
			got = append(got, string(bufs[i][:out[i].N]))
		}
	}
	if got[0] != "one" || got[4] != "five" || len(got[5]) != 64 {
		t.Errorf("datagrams %q", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadBatch(bufs[:], out[:]); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
	if err := b.WriteTo([]byte("x"), a.LocalAddr()); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
}

func TestSocketPairPorts(t *testing.T) {
	rtp, rtcp, err := ListenSocketPair(loopback, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rtp.Close()
	defer rtcp.Close()
	if p := rtp.LocalAddr().Port(); p%2 != 0 || rtcp.LocalAddr().Port() != p+1 {
		t.Errorf("ports %v %v", rtp.LocalAddr(), rtcp.LocalAddr())
	}
	r2, c2, err := ListenSocketPair(loopback, 40000, 40100, 40050)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	defer c2.Close()
	if p := r2.LocalAddr().Port(); p != 40050 || c2.LocalAddr().Port() != 40051 {
		t.Errorf("ranged ports %v %v", r2.LocalAddr(), c2.LocalAddr())
	}
}

// polledPair is two sessions talking over polled sockets, with RTCP.
func polledPair(t testing.TB, rtcpEvery time.Duration) (a, b *Session) {
	t.Helper()
	ra, ca, err := ListenSocketPair(loopback, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rb, cb, err := ListenSocketPair(loopback, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(rtp, rtcp *Socket, to, toRTCP netip.AddrPort, ssrc uint32) *Session {
		m := negotiated(g711.PCMU, to, false)
		m.RemoteRTCP = toRTCP
		s, err := New(Config{Socket: rtp, RTCPSocket: rtcp, Media: m, SSRC: ssrc, Now: time.Now, RTCPInterval: rtcpEvery})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a = mk(ra, ca, rb.LocalAddr(), cb.LocalAddr(), 1)
	b = mk(rb, cb, ra.LocalAddr(), ca.LocalAddr(), 2)
	return a, b
}

// Audio and RTCP go both ways between polled sessions, read only by Poll.
func TestPolledSessions(t *testing.T) {
	a, b := polledPair(t, 100*time.Millisecond)
	f := tone(0, 1000, 5000)
	var out hal.Frame
	for k := range 60 {
		f = tone(k, 1000, 5000)
		_ = a.WriteFrame(&f)
		_ = b.WriteFrame(&f)
		time.Sleep(2 * time.Millisecond)
		now := time.Now()
		a.Poll(now)
		b.Poll(now)
		a.ReadFrame(&out)
		b.ReadFrame(&out)
	}
	sa, sb := a.Stats(), b.Stats()
	if sb.PacketsReceived != 60 || sa.PacketsReceived != 60 || sb.Lost != 0 {
		t.Errorf("received %d and %d packets, %d lost", sa.PacketsReceived, sb.PacketsReceived, sb.Lost)
	}
	if out == (hal.Frame{}) {
		t.Error("no audio played out")
	}
	if !sa.HaveRemote || !sa.HaveRTT || sa.RTT > 100*time.Millisecond {
		t.Errorf("RTCP not exchanged: remote %v rtt %v %v", sa.HaveRemote, sa.HaveRTT, sa.RTT)
	}
}

// The polled tick path allocates nothing: send, Poll, play out (RTCP,
// every few seconds, is pion/rtcp's and allocates).
func TestPolledNoAllocations(t *testing.T) {
	a, b := polledPair(t, time.Hour)
	f := tone(0, 1000, 5000)
	var out hal.Frame
	step := func() {
		_ = a.WriteFrame(&f)
		for range 100 {
			if b.Stats().PacketsReceived > 0 {
				break
			}
			b.Poll(time.Now())
		}
		b.ReadFrame(&out)
	}
	for range 20 {
		step()
	}
	if n := testing.AllocsPerRun(500, func() {
		_ = a.WriteFrame(&f)
		b.Poll(time.Now())
		b.ReadFrame(&out)
	}); n != 0 {
		t.Errorf("%v allocations per polled packet", n)
	}
}

// BenchmarkRelayPolled is BenchmarkRelayUDP over polled sockets: per tick
// every session sends one packet and each receiving session's Poll reads
// it; cpu-ns/pkt counts one send and one receive (what relaying a packet
// costs) with kernel loopback delivery.
func BenchmarkRelayPolled(b *testing.B) {
	const pairs = 100
	type pair struct{ tx, rx *Session }
	ps := make([]pair, pairs)
	for i := range ps {
		x, y := polledPair(b, 5*time.Second)
		ps[i] = pair{x, y}
	}
	f := tone(0, 1000, 5000)
	var out hal.Frame
	var got uint64
	tick := func() {
		for _, p := range ps {
			_ = p.tx.WriteFrame(&f)
		}
		time.Sleep(200 * time.Microsecond)
		now := time.Now()
		for _, p := range ps {
			p.rx.Poll(now)
			p.rx.ReadFrame(&out)
		}
	}
	for range 20 {
		tick()
	}
	count := func() uint64 {
		var n uint64
		for _, p := range ps {
			n += p.rx.Stats().PacketsReceived
		}
		return n
	}
	got = count()
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(count()-got), "cpu-ns/pkt")
}
