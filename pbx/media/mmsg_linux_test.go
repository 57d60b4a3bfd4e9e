//go:build linux && (amd64 || arm64)

package media

import (
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/hookswitch/hookswitch/hal"
)

// System call numbers (asm/unistd_64.h; the generic table on arm64). The
// syscall package predates sendmmsg on amd64.
func mmsgTraps() (send, recv uintptr) {
	if runtime.GOARCH == "arm64" {
		return 269, 243
	}
	return 307, 299
}

// mmsghdr is struct mmsghdr from <sys/socket.h> on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// batch is a prototype of batched socket I/O: sendmmsg and recvmmsg move
// many datagrams per system call. They only batch within one socket, so the
// design they imply is one shared UDP port for many legs, demultiplexed by
// source address and SSRC.
type batch struct {
	msgs  []mmsghdr
	iovs  []syscall.Iovec
	addrs []syscall.RawSockaddrInet4
	bufs  [][maxPacket]byte
}

func newBatch(n int) *batch {
	b := &batch{msgs: make([]mmsghdr, n), iovs: make([]syscall.Iovec, n), addrs: make([]syscall.RawSockaddrInet4, n), bufs: make([][maxPacket]byte, n)}
	for i := range b.msgs {
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(maxPacket)
		b.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.addrs[i]))
		b.msgs[i].hdr.Namelen = uint32(unsafe.Sizeof(b.addrs[i]))
		b.msgs[i].hdr.Iov = &b.iovs[i]
		b.msgs[i].hdr.Iovlen = 1
	}
	return b
}

func (b *batch) call(rc syscall.RawConn, trap uintptr, n int, flags uintptr) int {
	var got int
	_ = rc.Read(func(fd uintptr) bool { // Read or Write: both just lend the fd here
		r, _, e := syscall.Syscall6(trap, fd, uintptr(unsafe.Pointer(&b.msgs[0])), uintptr(n), flags, 0, 0)
		if e == 0 {
			got = int(r)
		}
		return true
	})
	return got
}

// BenchmarkSharedSocketMmsg: 100 legs' packets per tick sent with one
// sendmmsg and received with recvmmsg on one socket, plus the media
// processing of BenchmarkReceivePacket and BenchmarkSendFrame per packet.
func BenchmarkSharedSocketMmsg(b *testing.B) {
	const legs = 100
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	_ = rx.SetReadBuffer(4 << 20)
	txrc, _ := tx.SyscallConn()
	rxrc, _ := rx.SyscallConn()
	dst := rx.LocalAddr().(*net.UDPAddr)

	// Media state per leg: a sender to build packets, a receiver to consume them.
	senders := make([]*Session, legs)
	receivers := make([]*Session, legs)
	for i := range legs {
		senders[i] = quietSession(b, newSink(), addrB)
		receivers[i] = quietSession(b, newSink(), addrB)
	}
	out := newBatch(legs)
	in := newBatch(legs)
	for i := range legs {
		out.addrs[i] = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: uint16(dst.Port>>8 | dst.Port<<8)}
		copy(out.addrs[i].Addr[:], dst.IP.To4())
	}
	sendmmsg, recvmmsg := mmsgTraps()
	f := tone(0, 1000, 5000)
	var got uint64
	var frameOut hal.Frame
	tick := func(k int) {
		for i, s := range senders { // the send path, but into the batch instead of a socket
			_ = s.WriteFrame(&f)
			n := copy(out.bufs[i][:], s.tx.buf[:headerSize+frame])
			out.iovs[i].SetLen(n)
		}
		if sent := out.call(txrc, sendmmsg, legs, 0); sent != legs {
			b.Fatalf("sendmmsg sent %d", sent)
		}
		time.Sleep(200 * time.Microsecond)
		now := t0.Add(time.Duration(k) * 20 * time.Millisecond)
		for remaining := legs; remaining > 0; {
			for i := range in.msgs {
				in.iovs[i].SetLen(maxPacket)
				in.msgs[i].hdr.Namelen = uint32(unsafe.Sizeof(in.addrs[i]))
			}
			n := in.call(rxrc, recvmmsg, remaining, syscall.MSG_DONTWAIT)
			if n == 0 {
				time.Sleep(20 * time.Microsecond)
				continue
			}
			for j := range n {
				// Demultiplexing by source would pick the leg; here leg j.
				receivers[(legs-remaining+j)%legs].Receive(in.bufs[j][:in.msgs[j].n], addrB, now)
			}
			remaining -= n
			got += uint64(n)
		}
		for _, r := range receivers {
			r.ReadFrame(&frameOut)
		}
	}
	for k := range 20 {
		tick(k)
	}
	got = 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	k := 20
	for b.Loop() {
		tick(k)
		k++
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(max(got, 1)), "cpu-ns/pkt")
}
