package sip_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim/measure"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/config"
)

// The trunk tests make SIPp the provider: a registrar that challenges, the
// far end of an outside call, and the origin of a call in on a DID.

const (
	trunkUser = "4930123456"
	trunkPW   = "trunk-secret"
)

// freeUDPPort finds a loopback port for SIPp to listen on.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func trunkConfig(providerPort int, register bool) *config.Config {
	cfg := exchangeConfig()
	cfg.Trunks = []config.Trunk{{Name: "provider", Host: "127.0.0.1:" + strconv.Itoa(providerPort),
		Username: trunkUser, Password: trunkPW, Prefix: "9", Register: &register,
		Expiry: config.Duration(time.Minute), Listen: "127.0.0.1:0",
		DID: map[string]string{"4930123457": "101"}, Inbound: "100"}}
	return cfg
}

// TestTrunkRegisters: the trunk registers with digest auth, refreshes when
// the provider grants 2 s, and removes its binding when it stops.
func TestTrunkRegisters(t *testing.T) {
	sippBin(t)
	port := freeUDPPort(t)
	x0 := &exchange{t: t, dir: t.TempDir()}
	r := x0.startSIPp("provider-register.xml", "-key", "user", trunkUser, "-key", "pass", trunkPW,
		"-p", strconv.Itoa(port), "-m", "1")
	defer x0.logsOnFailure("provider-register")
	time.Sleep(300 * time.Millisecond)
	var p *pbx.PBX
	x := newExchangeWith(t, trunkConfig(port, true), func(pp *pbx.PBX) { p = pp })
	tr := p.Trunks()[0]
	x.until(5*time.Second, "registered", tr.Registered)
	time.Sleep(2500 * time.Millisecond) // the refresh, 1 s after the 2 s grant
	if !tr.Registered() {
		t.Fatal("registration lost at the refresh")
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	x.wait(r, "provider saw register, refresh and un-register")
	if tr.Registered() {
		t.Error("still registered after Close")
	}
}

// TestTrunkOutsideCall: port 1 dials 9 and a number; the provider is asked
// for the number without the 9, with the account's number and Alice's name
// as caller, challenges the INVITE (401), answers with a tone that port 1
// hears; port 1 hangs up and the provider gets BYE.
func TestTrunkOutsideCall(t *testing.T) {
	sippBin(t)
	port := freeUDPPort(t)
	x := newExchangeWith(t, trunkConfig(port, false), nil)
	// SIPp substitutes no keyword in a regexp: the test writes the expected values in.
	sc, err := os.ReadFile(scenarioFile("provider-uas-call.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sc = []byte(strings.NewReplacer("{{number}}", "0305551234", "{{name}}", "Alice Analog", "{{cid}}", trunkUser).Replace(string(sc)))
	name := filepath.Join(x.dir, "provider-uas-call.xml")
	if err := os.WriteFile(name, sc, 0o644); err != nil {
		t.Fatal(err)
	}
	r := x.startSIPp(name, "-key", "user", trunkUser, "-key", "pass", trunkPW,
		"-p", strconv.Itoa(port), "-mp", "6200", "-m", "1")
	defer x.logsOnFailure("provider-uas-call")
	time.Sleep(300 * time.Millisecond)
	ph := x.phone(1)
	ph.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := ph.DialDTMF("90305551234"); err != nil {
		t.Fatal(err)
	}
	x.until(20*time.Second, "answered", func() bool { return x.connected() == 1 })
	time.Sleep(1500 * time.Millisecond)
	if p := measure.TonePower(ph.Recording(time.Second), toneHz); p < 0.8 {
		t.Errorf("port 1 hears the provider's tone at %.2f of its power, want ≥ 0.8", p)
	}
	ph.OnHook()
	x.wait(r, "outside call")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
}

// TestTrunkIncomingCall: the provider calls in on DID 4930123457, which
// leads to extension 101 (port 2); the phone shows the asserted caller
// (RFC 3325), not From, answers and hears the provider's tone; the provider
// hangs up.
func TestTrunkIncomingCall(t *testing.T) {
	sippBin(t)
	var p *pbx.PBX
	x := newExchangeWith(t, trunkConfig(freeUDPPort(t), false), func(pp *pbx.PBX) { p = pp })
	r := x.startSIPp("provider-uac-call.xml", "-key", "account", trunkUser, "-s", "4930123457", "-d", "3000",
		"-mp", "6300", "-m", "1", p.Trunks()[0].Addr().String())
	defer x.logsOnFailure("provider-uac-call")
	ph := x.phone(2)
	x.until(10*time.Second, "port 2 rings", func() bool { return ph.Status().Ringing })
	x.until(8*time.Second, "caller ID shown", func() bool { return ph.Status().CallerID != nil })
	if cid := ph.Status().CallerID; cid.Number != "0170999888" || cid.Name != "Bob Outside" {
		t.Errorf("caller ID %+v, want 0170999888 / Bob Outside", cid)
	}
	ph.OffHook()
	time.Sleep(1500 * time.Millisecond)
	if pw := measure.TonePower(ph.Recording(time.Second), toneHz); pw < 0.8 {
		t.Errorf("port 2 hears the provider's tone at %.2f of its power, want ≥ 0.8", pw)
	}
	x.wait(r, "incoming call")
	x.until(3*time.Second, "call ended", func() bool { return x.calls() == 0 })
	ph.OnHook()
}
