package sip_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/config"
)

// mailboxes is a voicemail store the test fills.
type mailboxes struct {
	mu     sync.Mutex
	counts map[string][2]int
}

func (m *mailboxes) Summary(ext string) (int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts[ext]
	return c[0], c[1]
}

func (m *mailboxes) set(ext string, nw, old int) {
	m.mu.Lock()
	m.counts[ext] = [2]int{nw, old}
	m.mu.Unlock()
}

// newExchangeWith is newExchange with a step between building the PBX and
// starting its SIP side (UseMailboxes, trunks).
func newExchangeWith(t *testing.T, cfg *config.Config, before func(p *pbx.PBX)) *exchange {
	t.Helper()
	b, err := sim.New(sim.Options{Ports: 4, Country: "us", Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("HOOKSWITCH_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := pbx.New(cfg, b, log)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(p)
	}
	srv, err := p.ListenSIP("hookswitch-test", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine: %v", err)
		}
		_ = p.Close(context.Background())
		_ = srv.Close(context.Background())
		_ = b.Close()
	})
	x := &exchange{t: t, p: p, b: b, srv: srv, dir: t.TempDir()}
	x.writeTone()
	return x
}

// exchangeConfig is the configuration newExchange uses.
func exchangeConfig() *config.Config {
	cfg := config.Default()
	cfg.SIP.Listen = "127.0.0.1:0"
	cfg.SIP.Qualify = 0
	cfg.Users = append(cfg.Users, config.User{Ext: "200", Name: "Carol Desk", Password: carolPW},
		config.User{Ext: "201", Name: "Dan Soft", Password: "Dan-Secret-201"})
	return cfg
}

// TestSIPpBusyLampField: SIPp, as a phone with a busy-lamp field, watches
// analog extension 100 (RFC 4235) while port 1 calls port 2, which answers;
// then port 1 hangs up. The scenario checks idle, early, confirmed, idle and
// the unsubscribe.
func TestSIPpBusyLampField(t *testing.T) {
	x := newExchange(t)
	r := x.startSIPp("subscribe-dialog.xml", "-key", "user", "201", "-au", "201", "-ap", "Dan-Secret-201",
		"-s", "100", "-m", "1", x.target())
	defer x.logsOnFailure("subscribe-dialog")
	x.until(10*time.Second, "subscribed", func() bool { return x.srv.Subscriptions() == 1 })
	time.Sleep(500 * time.Millisecond)
	caller, callee := x.phone(1), x.phone(2)
	caller.OffHook()
	time.Sleep(300 * time.Millisecond)
	if err := caller.DialDTMF("101"); err != nil {
		t.Fatal(err)
	}
	x.until(10*time.Second, "port 2 rings", func() bool { return callee.Status().Ringing })
	time.Sleep(time.Second)
	callee.OffHook()
	x.until(5*time.Second, "answered", func() bool { return x.connected() == 1 })
	time.Sleep(time.Second)
	caller.OnHook()
	x.wait(r, "busy-lamp field")
	callee.OnHook()
	x.until(3*time.Second, "unsubscribed", func() bool { return x.srv.Subscriptions() == 0 })
}

func (x *exchange) connected() int {
	n := 0
	_ = x.p.Engine.Do(context.Background(), func() {
		for _, c := range x.p.Engine.Calls() {
			if c.State.String() == "connected" {
				n++
			}
		}
	})
	return n
}

// TestMessageWaitingLamp: one mailbox source feeds both kinds of phone; a
// new message lights the analog phone's lamp (FSK VMWI, which the simulated
// phone decodes), and reading it puts the lamp out.
func TestMessageWaitingLamp(t *testing.T) {
	sippBin(t)
	mb := &mailboxes{counts: map[string][2]int{"101": {1, 0}}}
	x := newExchangeWith(t, exchangeConfig(), func(p *pbx.PBX) { p.UseMailboxes(mb) })
	x.until(10*time.Second, "port 2's lamp lit from the start", func() bool { return x.phone(2).Status().Lamp })
	ph := x.phone(1)
	if ph.Status().Lamp {
		t.Fatal("port 1's lamp lit with an empty mailbox")
	}
	mb.set("100", 2, 0)
	x.p.MailboxChanged("100")
	x.until(10*time.Second, "port 1's lamp lit", func() bool { return ph.Status().Lamp })
	// The port drops a change that comes while it is still sending the last
	// one (pbx/fxs sendMWI): let the transmission end.
	time.Sleep(time.Second)
	mb.set("100", 0, 2)
	x.p.MailboxChanged("100")
	x.until(10*time.Second, "port 1's lamp out", func() bool { return !ph.Status().Lamp })
}
