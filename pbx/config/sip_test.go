package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSIPKeys(t *testing.T) {
	c, err := Parse("x.yaml", []byte("sip:\n  listen: 127.0.0.1:5060\n  realm: office\n  ban_after: 3\n  ban_for: 2m\n"+
		"  allow: [192.168.1.0/24, 10.0.0.7]\n  qualify: 30s\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SIP
	if s.Realm != "office" || s.BanAfter != 3 || time.Duration(s.BanFor) != 2*time.Minute || time.Duration(s.Qualify) != 30*time.Second {
		t.Errorf("sip %+v", s)
	}
	nets, err := s.AllowedNetworks()
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("10.0.0.7/32")}
	if len(nets) != 2 || nets[0] != want[0] || nets[1] != want[1] {
		t.Errorf("networks %v, want %v", nets, want)
	}
}

func TestSIPDefaults(t *testing.T) {
	s := Default().SIP
	if s.Realm != "hookswitch" || s.BanAfter != 5 || time.Duration(s.BanFor) != 15*time.Minute ||
		time.Duration(s.Qualify) != time.Minute || len(s.Allow) != 0 {
		t.Errorf("defaults %+v", s)
	}
}

func TestSIPAllowError(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("sip:\n  allow:\n    - 10.0.0.0/8\n    - lan\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:4: sip.allow[1]: \"lan\" is not a network") {
		t.Errorf("error %v", err)
	}
}
