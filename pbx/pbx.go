// Package pbx assembles the PBX from its configuration and a board: the FXS
// ports, the directory of users, the dial plan and the engine that runs them.
package pbx

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/config"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/directory"
	"github.com/hookswitch/hookswitch/pbx/fxs"
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
		users = append(users, directory.User{Ext: u.Ext, Name: u.Name, Port: u.Port,
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
