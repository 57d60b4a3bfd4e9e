//go:build linux

package media

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxBatch is how many datagrams one ReadBatch of a session's socket may
// take (recvmmsg vlen); a Mux's socket takes muxBatch.
const maxBatch = 4

// ctrlSize holds one SCM_TIMESTAMPNS control message (socket(7)).
var ctrlSize = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))

// mmsgHdr is struct mmsgHdr of recvmmsg(2) and sendmmsg(2).
type mmsgHdr struct {
	hdr unix.Msghdr
	n   uint32
}

// Socket is a UDP socket that Go's network poller never sees. It is
// non-blocking and read by whoever runs the media tick (Session.Poll), so
// an arriving packet wakes no goroutine and no poller thread: on a box
// relaying thousands of 50 packet/s streams those wake-ups, not the
// packets, are what the CPU spends its time on. Reads take every waiting
// datagram with one recvmmsg(2); the kernel stamps each datagram's arrival
// (SO_TIMESTAMPNS), so jitter is measured on real arrival times, not on the
// tick that read them.
//
// A Socket is safe for concurrent use, but reading is meant for one
// goroutine (the media tick). Reads and writes lock apart, so the tick's
// read never waits for a long batch being sent.
type Socket struct {
	rmu, wmu sync.Mutex // reads, writes; Close takes both
	fd       int        // -1 once closed
	local    netip.AddrPort

	stamps bool // the kernel stamps arrivals (SO_TIMESTAMPNS)

	// recvmmsg state (rmu)
	msgs  []mmsgHdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for IPv4 too
	ctrl  []byte                  // one control buffer a message

	// send state (wmu): WriteTo's address, WriteBatch's messages
	to6      unix.RawSockaddrInet6
	out      []mmsgHdr
	outIovs  []unix.Iovec
	outNames []unix.RawSockaddrInet6
}

// ListenSocket binds a non-blocking UDP socket on addr (port 0: any).
func ListenSocket(addr netip.AddrPort) (*Socket, error) { return listenSocket(addr, maxBatch, 0) }

// listenSocket binds a socket that reads and writes up to batch datagrams
// a system call; buf > 0 asks for socket buffers of that many bytes.
func listenSocket(addr netip.AddrPort, batch, buf int) (*Socket, error) {
	family := unix.AF_INET
	if addr.Addr().Is6() && !addr.Addr().Is4In6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("media: socket: %w", err)
	}
	fail := func(what string, err error) (*Socket, error) {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("media: %s %v: %w", what, addr, err)
	}
	// Kernel arrival stamps make jitter figures exact; without them (user-mode
	// emulators refuse the option) arrival is read from the clock instead.
	stamps := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) == nil
	if buf > 0 {
		// Past net.core.rmem_max/wmem_max only with CAP_NET_ADMIN (socket(7)).
		for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], buf) != nil {
				_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[1], buf)
			}
		}
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().Unmap().As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	s := &Socket{fd: fd, stamps: stamps, msgs: make([]mmsgHdr, batch), iovs: make([]unix.Iovec, batch),
		names: make([]unix.RawSockaddrInet6, batch), ctrl: make([]byte, batch*ctrlSize),
		out: make([]mmsgHdr, batch), outIovs: make([]unix.Iovec, batch), outNames: make([]unix.RawSockaddrInet6, batch)}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		s.local = netip.AddrPortFrom(netip.AddrFrom4(b.Addr), uint16(b.Port))
	case *unix.SockaddrInet6:
		s.local = netip.AddrPortFrom(netip.AddrFrom16(b.Addr), uint16(b.Port))
	}
	for i := range s.msgs {
		h := &s.msgs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Iov = &s.iovs[i]
		h.SetIovlen(1)
		h.Control = &s.ctrl[i*ctrlSize]
		o := &s.out[i].hdr
		o.Name = (*byte)(unsafe.Pointer(&s.outNames[i]))
		o.Iov = &s.outIovs[i]
		o.SetIovlen(1)
	}
	return s, nil
}

// LocalAddr is the bound address.
func (s *Socket) LocalAddr() netip.AddrPort { return s.local }

// Datagram describes one datagram ReadBatch read into the buffer of the
// same index.
type Datagram struct {
	N    int
	From netip.AddrPort
	At   time.Time // kernel arrival time; zero if the kernel gave none
}

// ReadBatch reads the datagrams waiting, at most len(bufs) (and the batch),
// into bufs without blocking, and describes them in out (as long as bufs).
// It returns 0 and no error when nothing waits. Datagrams longer than their
// buffer are cut short.
func (s *Socket) ReadBatch(bufs [][]byte, out []Datagram) (int, error) {
	n := min(len(bufs), len(out), len(s.msgs))
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.fd < 0 {
		return 0, ErrClosed
	}
	for i := range n {
		s.iovs[i].Base = &bufs[i][0]
		s.iovs[i].SetLen(len(bufs[i]))
		h := &s.msgs[i].hdr
		h.Namelen = uint32(unsafe.Sizeof(s.names[i]))
		h.SetControllen(ctrlSize)
		h.Flags = 0
	}
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msgs[0])), uintptr(n),
		unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0:
	case unix.EAGAIN, unix.EINTR:
		return 0, nil
	default:
		return 0, fmt.Errorf("media: recvmmsg: %w", e)
	}
	got := int(r)
	for i := range got {
		out[i] = Datagram{N: int(s.msgs[i].n), From: s.source(i), At: s.stamp(i)}
	}
	return got, nil
}

// source decodes message i's sender address.
func (s *Socket) source(i int) netip.AddrPort {
	raw := &s.names[i]
	switch raw.Family {
	case unix.AF_INET:
		a4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		return netip.AddrPortFrom(netip.AddrFrom4(a4.Addr), ntohs(a4.Port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(raw.Addr).Unmap(), ntohs(raw.Port))
	}
	return netip.AddrPort{}
}

// stamp finds message i's SCM_TIMESTAMPNS (socket(7)) without allocating.
func (s *Socket) stamp(i int) time.Time {
	h := &s.msgs[i].hdr
	ctrl := s.ctrl[i*ctrlSize : i*ctrlSize+int(h.Controllen)]
	for len(ctrl) >= unix.SizeofCmsghdr {
		c := (*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0]))
		if int(c.Len) < unix.SizeofCmsghdr || int(c.Len) > len(ctrl) {
			break
		}
		if c.Level == unix.SOL_SOCKET && c.Type == unix.SCM_TIMESTAMPNS &&
			int(c.Len) >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			ts := (*unix.Timespec)(unsafe.Pointer(&ctrl[unix.CmsgLen(0)]))
			return time.Unix(int64(ts.Sec), int64(ts.Nsec))
		}
		next := unix.CmsgSpace(int(c.Len) - unix.CmsgLen(0))
		if next > len(ctrl) {
			break
		}
		ctrl = ctrl[next:]
	}
	return time.Time{}
}

func ntohs(p uint16) uint16 { return p>>8 | p<<8 }

// sockaddr writes "to" as the socket's family needs it into raw and
// returns its length.
func (s *Socket) sockaddr(to netip.AddrPort, raw *unix.RawSockaddrInet6) uint32 {
	if a := to.Addr(); (a.Is4() || a.Is4In6()) && s.local.Addr().Is4() {
		a4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		*a4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: ntohs(to.Port()), Addr: a.Unmap().As4()}
		return uint32(unsafe.Sizeof(*a4))
	}
	*raw = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: ntohs(to.Port()), Addr: to.Addr().As16()}
	return uint32(unsafe.Sizeof(*raw))
}

// WriteTo sends one datagram to "to" (sendto(2)); it does not block. A full
// socket buffer drops the datagram, as the network would.
func (s *Socket) WriteTo(b []byte, to netip.AddrPort) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.fd < 0 {
		return ErrClosed
	}
	name := unsafe.Pointer(&s.to6)
	size := uintptr(s.sockaddr(to, &s.to6))
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(p), uintptr(len(b)), unix.MSG_DONTWAIT,
		uintptr(name), size)
	switch e {
	case 0, unix.EAGAIN: // EAGAIN: the socket buffer is full; the packet is lost
		return nil
	}
	return fmt.Errorf("media: sendto %v: %w", to, e)
}

// WriteBatch sends bufs[i] to tos[i] with as few sendmmsg(2) calls as the
// batch size allows, without blocking; datagrams a full socket buffer
// refuses are dropped, as the network would. It returns how many went out.
func (s *Socket) WriteBatch(bufs [][]byte, tos []netip.AddrPort) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.fd < 0 {
		return 0, ErrClosed
	}
	sent := 0
	var first error
	for off := 0; off < len(bufs); {
		n := min(len(bufs)-off, len(s.out))
		for i := range n {
			b := bufs[off+i]
			s.outIovs[i].Base = &b[0]
			s.outIovs[i].SetLen(len(b))
			s.out[i].hdr.Namelen = s.sockaddr(tos[off+i], &s.outNames[i])
		}
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.out[0])), uintptr(n),
			unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			sent += int(r)
			off += max(int(r), 1)
		case unix.EAGAIN, unix.EINTR:
			off += n // buffer full: this batch is lost
		default:
			// The first datagram cannot go (no route to it, say): skip it
			// so the others still do.
			if first == nil {
				first = fmt.Errorf("media: sendmmsg to %v: %w", tos[off], e)
			}
			off++
		}
	}
	return sent, first
}

// Close releases the socket. Reads and writes after it return ErrClosed.
func (s *Socket) Close() error {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}
