//go:build linux

package media

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hookswitch/hookswitch/hal"
)

// poller is a prototype of tick-driven reception: instead of a reader
// goroutine per socket that the netpoller wakes for every packet, the media
// tick itself reads each leg's socket once, non-blocking. One recvfrom per
// packet and no goroutine wake-up, park, or EAGAIN read.
type poller struct {
	rc     syscall.RawConn
	buf    [maxPacket]byte
	rsa    syscall.RawSockaddrInet4
	rsalen uint32
	n      int
	errno  syscall.Errno
	fn     func(fd uintptr) bool // built once: a closure per call would allocate
}

func newPoller(c *net.UDPConn) (*poller, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	p := &poller{rc: rc}
	p.fn = func(fd uintptr) bool {
		p.rsalen = uint32(unsafe.Sizeof(p.rsa))
		r, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p.buf[0])), uintptr(len(p.buf)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&p.rsa)), uintptr(unsafe.Pointer(&p.rsalen)))
		p.n, p.errno = int(r), e
		return true // never wait: the tick comes back in 20 ms
	}
	return p, nil
}

// poll reads at most one datagram without blocking.
func (p *poller) poll() ([]byte, netip.AddrPort, bool) {
	if err := p.rc.Read(p.fn); err != nil || p.errno != 0 {
		return nil, netip.AddrPort{}, false
	}
	port := uint16(p.rsa.Port>>8) | uint16(p.rsa.Port<<8) // network byte order
	return p.buf[:p.n], netip.AddrPortFrom(netip.AddrFrom4(p.rsa.Addr), port), true
}

// BenchmarkRelayUDPPolled is BenchmarkRelayUDP with the receive side read by
// the tick (poller) instead of reader goroutines.
func BenchmarkRelayUDPPolled(b *testing.B) {
	const pairs = 100
	type pair struct {
		tx, rx *Session
		p      *poller
	}
	ps := make([]pair, pairs)
	for i := range ps {
		ca, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		cb, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		tx := quietSession(b, ca, cb.LocalAddr().(*net.UDPAddr).AddrPort())
		rx := quietSession(b, cb, ca.LocalAddr().(*net.UDPAddr).AddrPort())
		p, err := newPoller(cb)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Close()
		defer rx.Close()
		ps[i] = pair{tx, rx, p}
	}
	f := tone(0, 1000, 5000)
	var out hal.Frame
	var sent, got uint64
	tick := func() {
		for _, p := range ps {
			_ = p.tx.WriteFrame(&f)
		}
		sent++
		time.Sleep(200 * time.Microsecond) // stands for the rest of the 20 ms tick
		now := t0.Add(time.Duration(sent) * hal.FrameDuration)
		for _, p := range ps {
			if pkt, from, ok := p.p.poll(); ok {
				p.rx.Receive(pkt, from, now)
				got++
			}
			p.rx.ReadFrame(&out)
		}
	}
	for range 20 {
		tick()
	}
	got = 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if got < uint64(b.N)*pairs*99/100 {
		b.Fatalf("only %d of %d packets polled", got, uint64(b.N)*pairs)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(got), "cpu-ns/pkt")
}

// BenchmarkRawUDPBaseline is the floor under BenchmarkRelayUDPPolled: the
// same sockets and system calls (one sendto, one non-blocking recvfrom per
// packet) with no media processing at all.
func BenchmarkRawUDPBaseline(b *testing.B) {
	const pairs = 100
	type pair struct {
		tx  *net.UDPConn
		dst netip.AddrPort
		p   *poller
	}
	ps := make([]pair, pairs)
	for i := range ps {
		ca, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		cb, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		defer ca.Close()
		defer cb.Close()
		p, err := newPoller(cb)
		if err != nil {
			b.Fatal(err)
		}
		ps[i] = pair{ca, cb.LocalAddr().(*net.UDPAddr).AddrPort(), p}
	}
	pkt := make([]byte, headerSize+frame)
	var got uint64
	tick := func() {
		for _, p := range ps {
			_, _ = p.tx.WriteToUDPAddrPort(pkt, p.dst)
		}
		time.Sleep(200 * time.Microsecond)
		for _, p := range ps {
			if _, _, ok := p.p.poll(); ok {
				got++
			}
		}
	}
	for range 20 {
		tick()
	}
	got = 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(max(got, 1)), "cpu-ns/pkt")
}
