//go:build !linux

package sip

import "net"

// growBuffers asks for n-byte socket buffers on c, as far as the system allows.
func growBuffers(c net.PacketConn, n int) {
	if uc, ok := c.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(n)
		_ = uc.SetWriteBuffer(n)
	}
}
