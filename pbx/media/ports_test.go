package media

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestListenPair(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	// Find a free region by letting the kernel pick a port, then use its
	// neighbourhood; if the pick fails the test skips rather than flakes.
	probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	base := probe.LocalAddr().(*net.UDPAddr).Port &^ 1
	_ = probe.Close()
	if base+6 > 0xffff {
		t.Skip("ephemeral port too high")
	}
	a1, b1, err := ListenPair(lo, base, base+4, base)
	if err != nil {
		t.Skipf("ports %d-%d busy: %v", base, base+4, err)
	}
	defer a1.Close()
	defer b1.Close()
	pa, pb := a1.LocalAddr().(*net.UDPAddr).Port, b1.LocalAddr().(*net.UDPAddr).Port
	if pa%2 != 0 || pb != pa+1 {
		t.Errorf("pair %d/%d", pa, pb)
	}
	a2, b2, err := ListenPair(lo, base, base+4, pa) // the same start: must move on
	if err != nil {
		t.Skipf("second pair busy: %v", err)
	}
	defer a2.Close()
	defer b2.Close()
	if p := a2.LocalAddr().(*net.UDPAddr).Port; p == pa || p%2 != 0 {
		t.Errorf("second pair at %d", p)
	}
	if _, _, err := ListenPair(lo, base, base+4, base); !errors.Is(err, ErrNoPorts) {
		t.Errorf("full range: %v", err)
	}
	if _, _, err := ListenPair(lo, 10, 11, 10); err == nil {
		t.Error("empty range accepted")
	}
}
