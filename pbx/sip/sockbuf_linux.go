package sip

import (
	"net"
	"syscall"
)

// growBuffers asks for n-byte socket buffers on c: past net.core.rmem_max
// and wmem_max where we have CAP_NET_ADMIN (socket(7)), else up to them.
func growBuffers(c net.PacketConn, n int) {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		for _, o := range [][2]int{{syscall.SO_RCVBUFFORCE, syscall.SO_RCVBUF}, {syscall.SO_SNDBUFFORCE, syscall.SO_SNDBUF}} {
			if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o[0], n) != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o[1], n)
			}
		}
	})
}
