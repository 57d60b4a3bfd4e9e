// Package pbx assembles the PBX from its configuration and a board: the FXS
// ports, the directory of users, the dial plan and the engine that runs them.
package pbx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/directory"
	"github.com/hookswitch/hookswitch/pbx/fxs"
	"github.com/hookswitch/hookswitch/pbx/sip"
	"github.com/hookswitch/hookswitch/pbx/sip/auth"
)

// PBX is a running exchange.
type PBX struct {
	Config *config.Config
	Engine *core.Engine
	Ports  *fxs.Bank
	Dir    *directory.Directory
	log    *slog.Logger
}

// New builds the PBX for cfg on board.
func New(cfg *config.Config, board hal.Board, log *slog.Logger) (*PBX, error) {
	var users []directory.User
	for _, u := range cfg.Users {
		users = append(users, directory.User{Ext: u.Ext, Name: u.Name, Port: u.Port, Password: u.Password,
			NoCallWaiting: u.CallWaiting != nil && !*u.CallWaiting})
	}
	dir := directory.New(users)
	plan, err := dialplan.New(dir.Entries())
	if err != nil {
		return nil, fmt.Errorf("pbx: %w", err)
	}
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
	eng := core.New(log, bank, plan, dir)
	bank.Attach(eng)
	return &PBX{Config: cfg, Engine: eng, Ports: bank, Dir: dir, log: log}, nil
}

// ListenSIP starts the SIP side on cfg.sip — registrar, authentication and
// call legs — and makes every SIP account reachable through it. now is the
// clock for registrations, bans and RTP.
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
	srv, err := sip.Listen(p.log.With("part", "sip"), sip.Opts{
		Listen: c.Listen, UserAgent: userAgent, Realm: c.Realm, Users: p.Dir, Engine: p.Engine,
		Media:   sip.NewRTPMedia(sip.RTPOpts{Addr: rtpAddr, Now: now, Log: p.log.With("part", "rtp")}),
		Guard:   auth.GuardOpts{Allow: nets, BanAfter: max(c.BanAfter, 0), BanFor: time.Duration(c.BanFor)},
		Qualify: time.Duration(c.Qualify), Now: now,
	})
	if err != nil {
		return nil, err
	}
	for _, u := range p.Dir.SIPUsers() {
		if u.Port == 0 {
			p.Dir.BindEndpoint(u.Ext, srv.Channel)
		}
	}
	srv.Serve()
	return srv, nil
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
