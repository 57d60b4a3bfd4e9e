// Package pbx assembles the PBX from its configuration and a board: the FXS
// ports, the directory of users, the dial plan and the engine that runs them.
package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/cdr"
	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/directory"
	"github.com/hookswitch/hookswitch/pbx/fxs"
	"github.com/hookswitch/hookswitch/pbx/sip"
	"github.com/hookswitch/hookswitch/pbx/sip/auth"
	"github.com/hookswitch/hookswitch/pbx/sip/subscription"
	"github.com/hookswitch/hookswitch/pbx/sip/trunk"
	"github.com/hookswitch/hookswitch/pbx/tone"
)

// PBX is a running exchange.
type PBX struct {
	Config *config.Config
	Engine *core.Engine
	Ports  *fxs.Bank
	Dir    *directory.Directory
	// CDR is the call log on disk (UseCDR); nil without one, and then the
	// call records are the engine's recent ones, lost at a restart.
	CDR *cdr.Store
	log *slog.Logger

	mailboxes subscription.Mailboxes
	sip       *sip.Server
	router    *router
	trunks    []*trunk.Trunk
}

// New builds the PBX for cfg on board.
func New(cfg *config.Config, board hal.Board, log *slog.Logger) (*PBX, error) {
	var users []directory.User
	for _, u := range cfg.Users {
		users = append(users, directory.User{Ext: u.Ext, Name: u.Name, Port: u.Port, Password: u.Password,
			NoCallWaiting: u.CallWaiting != nil && !*u.CallWaiting})
	}
	dir := directory.New(users)
	plan, err := dialplan.New(append(dir.Entries(), trunkEntries(cfg.Trunks)...))
	if err != nil {
		return nil, fmt.Errorf("pbx: %w", err)
	}
	rt := &router{dir: dir, trunks: map[string]func() (core.Channel, error){}}
	bank, err := fxs.NewBank(board, log, fxs.Options{
		Country: cfg.Country,
		Override: fxs.Override{
			FlashMin:   time.Duration(cfg.FXS.FlashMin),
			FlashMax:   time.Duration(cfg.FXS.FlashMax),
			PulseMax:   time.Duration(cfg.FXS.PulseMax),
			FirstDigit: time.Duration(cfg.FXS.FirstDigit),
			InterDigit: time.Duration(cfg.FXS.InterDigit),
			HowlerAft:  time.Duration(cfg.FXS.HowlerAfter),
		},
		Subscriber: func(port int) fxs.Subscriber {
			u, _ := dir.ByPort(port)
			return fxs.Subscriber{Party: fxs.Party{Number: u.Ext, Name: u.Name}, NoCallWaiting: u.NoCallWaiting}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("pbx: %w", err)
	}
	for _, p := range bank.Ports() {
		if u, ok := dir.ByPort(p.Line().Port()); ok {
			dir.Bind(u.Ext, p)
		}
	}
	for _, u := range users {
		if u.Port > len(bank.Ports()) {
			log.Warn("user's port is not on this board", "ext", u.Ext, "port", u.Port, "ports", len(bank.Ports()))
		}
	}
	tones, err := tone.PlanFor(cfg.Country)
	if err != nil {
		return nil, fmt.Errorf("pbx: %w", err)
	}
	eng := core.New(log, bank, plan, rt, core.WithTones(tones), core.WithTransferRecall(time.Duration(cfg.TransferRecall)))
	bank.Attach(eng)
	return &PBX{Config: cfg, Engine: eng, Ports: bank, Dir: dir, log: log, router: rt}, nil
}

// ListenSIP starts the SIP side on cfg.sip — registrar, authentication and
// call legs — and makes every SIP account reachable through it. now is the
// clock for registrations, bans and RTP. Call it before Run: it adds the
// busy-lamp observer to the engine.
func (p *PBX) ListenSIP(userAgent string, now func() time.Time) (*sip.Server, error) {
	c := p.Config.SIP
	nets, err := c.AllowedNetworks()
	if err != nil {
		return nil, fmt.Errorf("pbx: sip.allow: %w", err)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("pbx: sip.listen: %w", err)
	}
	rtpAddr, err := netip.ParseAddr(host)
	if err != nil || rtpAddr.IsUnspecified() {
		rtpAddr = netip.MustParseAddr("127.0.0.1")
	}
	media := sip.NewRTPMedia(sip.RTPOpts{Addr: rtpAddr, Now: now, Log: p.log.With("part", "rtp"), Engine: p.Engine})
	srv, err := sip.Listen(p.log.With("part", "sip"), sip.Opts{
		Listen: c.Listen, UserAgent: userAgent, Realm: c.Realm, Users: p.Dir, Engine: p.Engine,
		Media:   media,
		Guard:   auth.GuardOpts{Allow: nets, BanAfter: max(c.BanAfter, 0), BanFor: time.Duration(c.BanFor)},
		Qualify: time.Duration(c.Qualify), Now: now, Mailboxes: p.mailboxes, Digest: digestAlgorithms(c.Digest),
	})
	if err != nil {
		return nil, err
	}
	p.sip = srv
	if err := p.startTrunks(userAgent, host, media, now); err != nil {
		_ = srv.Close(context.Background())
		return nil, err
	}
	// Busy-lamp fields of every extension, analog ports included.
	p.Engine.Observe(p.extOf, srv.DialogsChanged)
	for _, u := range p.Dir.SIPUsers() {
		if u.Port == 0 {
			p.Dir.BindEndpoint(u.Ext, srv.Channel)
		}
	}
	srv.Serve()
	return srv, nil
}

// extOf names the extension a channel serves: an analog port's, or the SIP
// account of a leg ("sip/200"); "" for trunks and apps.
func (p *PBX) extOf(ch core.Channel) string {
	if port, ok := ch.(*fxs.Port); ok {
		return port.Number()
	}
	if ext, ok := strings.CutPrefix(ch.Name(), "sip/"); ok {
		if _, known := p.Dir.User(ext); known {
			return ext
		}
	}
	return ""
}

// UseMailboxes sets the voicemail store that message-waiting reads: the
// message-summary subscriptions of SIP phones (RFC 3842) and the lamps of
// analog phones. Call it before ListenSIP and Run; the lamps are set to the
// store's counts at once.
func (p *PBX) UseMailboxes(m subscription.Mailboxes) {
	p.mailboxes = m
	for _, port := range p.Ports.Ports() {
		if ext := port.Number(); ext != "" {
			if nw, _ := m.Summary(ext); nw > 0 {
				p.Engine.Post(func() { port.SetMWI(true) })
			}
		}
	}
}

// MailboxChanged tells everyone who shows ext's messages that they changed:
// the SIP phones subscribed to its message summary get a NOTIFY, and an
// analog phone on ext gets its lamp set or cleared. The voicemail app calls
// it; any goroutine may.
func (p *PBX) MailboxChanged(ext string) {
	if p.sip != nil {
		p.sip.MailboxChanged(ext)
	}
	u, ok := p.Dir.User(ext)
	if !ok || u.Port == 0 || p.mailboxes == nil {
		return
	}
	nw, _ := p.mailboxes.Summary(ext)
	p.Engine.Post(func() {
		if port := p.Ports.Port(u.Port); port != nil {
			port.SetMWI(nw > 0)
		}
	})
}

// UseCDR keeps the record of every call that ends in st, and numbers new
// calls after the last one st holds so IDs stay unique across restarts.
// Call it before Run.
func (p *PBX) UseCDR(st *cdr.Store) {
	p.CDR = st
	p.Engine.SetSink(st)
	p.Engine.ContinueIDs(st.LastID())
}

// digestAlgorithms turns sip.digest into auth's algorithms; nil keeps auth's default.
func digestAlgorithms(names []string) []auth.Algorithm {
	var out []auth.Algorithm
	for _, n := range names {
		out = append(out, auth.Algorithm(n))
	}
	return out
}

// trunkEntries are the dial-plan entries of the trunks' prefixes: the
// prefix and one or more digits.
func trunkEntries(trunks []config.Trunk) []dialplan.Entry {
	var out []dialplan.Entry
	for i, t := range trunks {
		if t.Prefix != "" {
			out = append(out, dialplan.Entry{Pattern: t.Prefix + ".", Kind: dialplan.Trunk, Target: t.Name,
				Source: fmt.Sprintf("trunks[%d].prefix", i)})
		}
	}
	return out
}

// router routes extensions through the directory and trunk prefixes to the
// trunks, which exist once ListenSIP has started them.
type router struct {
	dir    *directory.Directory
	mu     sync.Mutex
	trunks map[string]func() (core.Channel, error)
}

func (r *router) Route(e dialplan.Entry) (core.Channel, error) {
	if e.Kind != dialplan.Trunk {
		return r.dir.Route(e)
	}
	r.mu.Lock()
	ch := r.trunks[e.Target]
	r.mu.Unlock()
	if ch == nil {
		return nil, fmt.Errorf("%w: trunk %s is not running", core.ErrNoRoute, e.Target)
	}
	return ch()
}

// startTrunks starts every configured trunk: its socket, its registration,
// and its route in the dial plan. A trunk listens on sip.listen's host
// unless it names its own address.
func (p *PBX) startTrunks(userAgent, sipHost string, media sip.MediaFactory, now func() time.Time) error {
	for _, c := range p.Config.Trunks {
		listen := c.Listen
		if listen == "" {
			listen = net.JoinHostPort(sipHost, "0")
		}
		t, err := trunk.Listen(p.log.With("part", "trunk"), trunk.Opts{
			Name: c.Name, Host: c.Host, Domain: c.Domain, Username: c.Username, Password: c.Password,
			Prefix: c.Prefix, Listen: listen, Register: c.Registers(), Expiry: time.Duration(c.Expiry),
			DID: c.DID, Inbound: c.Inbound, CallerID: c.CallerID, Privacy: c.Privacy,
			UserAgent: userAgent, Engine: p.Engine, Media: media, Now: now,
		})
		if err != nil {
			_ = p.closeTrunks(context.Background())
			return fmt.Errorf("pbx: %w", err)
		}
		p.trunks = append(p.trunks, t)
		p.router.mu.Lock()
		p.router.trunks[c.Name] = t.Channel
		p.router.mu.Unlock()
		t.Serve()
	}
	return nil
}

// Trunks returns the running trunks.
func (p *PBX) Trunks() []*trunk.Trunk { return p.trunks }

// Close stops what ListenSIP started besides the SIP server: the trunks
// unregister and close.
func (p *PBX) Close(ctx context.Context) error { return p.closeTrunks(ctx) }

func (p *PBX) closeTrunks(ctx context.Context) error {
	var errs []error
	for _, t := range p.trunks {
		errs = append(errs, t.Close(ctx))
	}
	p.trunks = nil
	return errors.Join(errs...)
}

// Run runs the engine until ctx ends.
func (p *PBX) Run(ctx context.Context) error { return p.Engine.Run(ctx) }

// Advance runs the engine for d of board time (tests on the simulated board).
func (p *PBX) Advance(d time.Duration) error {
	for n := int(d / hal.FrameDuration); n > 0; n-- {
		if err := p.Engine.Step(); err != nil {
			return err
		}
	}
	return nil
}
