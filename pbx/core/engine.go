package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hookswitch/hookswitch/pbx/dialplan"
)

// Router finds the channel that answers a dialled entry of the dial plan.
type Router interface {
	// Route returns the channel for a dial-plan entry, or an error when the
	// target has no reachable endpoint.
	Route(e dialplan.Entry) (Channel, error)
}

// ErrNoRoute is returned by a Router for a target nobody answers.
var ErrNoRoute = errors.New("core: no route")

// postQueue is how many posted jobs may wait for the engine; posting blocks beyond.
const postQueue = 256

// Engine owns every call and steps every channel once per frame.
type Engine struct {
	log    *slog.Logger
	front  Frontend
	plan   *dialplan.Plan
	router Router

	now    time.Time
	nextID uint64
	calls  []*Call
	posted chan func()
	ticks  []func(time.Time)
}

// New builds an engine over a frontend, a dial plan and a router.
func New(log *slog.Logger, front Frontend, plan *dialplan.Plan, router Router) *Engine {
	return &Engine{log: log, front: front, plan: plan, router: router, posted: make(chan func(), postQueue)}
}

// Now returns the time of the last frame.
func (e *Engine) Now() time.Time { return e.now }

// Plan returns the dial plan.
func (e *Engine) Plan() *dialplan.Plan { return e.plan }

// OnTick registers fn to run once per frame in the engine goroutine, after
// the frontend has received and before calls are bridged.
func (e *Engine) OnTick(fn func(now time.Time)) { e.ticks = append(e.ticks, fn) }

// Post runs fn in the engine goroutine at the next frame. It is how other
// goroutines act on calls and channels.
func (e *Engine) Post(fn func()) { e.posted <- fn }

// Do runs fn in the engine goroutine and waits for it, or for ctx.
func (e *Engine) Do(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	select {
	case e.posted <- func() { fn(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Calls returns the calls in progress.
func (e *Engine) Calls() []*Call { return slices.Clone(e.calls) }

// Step runs one frame: audio in, events, posted work, bridges, audio out.
func (e *Engine) Step() error {
	now, err := e.front.Receive()
	if err != nil {
		return fmt.Errorf("core: frontend: %w", err)
	}
	e.now = now
	for _, fn := range e.ticks {
		fn(now)
	}
	for {
		select {
		case fn := <-e.posted:
			fn()
			continue
		default:
		}
		break
	}
	for _, c := range e.calls {
		if c.bridged {
			c.bridge()
		}
	}
	e.front.Send()
	return nil
}

// Run steps until ctx ends or the frontend fails.
func (e *Engine) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := e.Step(); err != nil {
			return err
		}
	}
	return nil
}

// Dial places a call from a channel to a dialled number. The caller is told
// the outcome through Indicate (Congestion, Busy, Ringing, Answered).
func (e *Engine) Dial(from Channel, who Party, number string) *Call {
	e.nextID++
	c := &Call{ID: e.nextID, From: who, To: number, A: from, State: Alerting, Started: e.now, eng: e}
	res, entry := e.plan.Match(number)
	if res != dialplan.Complete && res != dialplan.Ambiguous {
		e.log.Info("call to unknown number", "from", from.Name(), "number", number)
		from.Indicate(c, Congestion)
		c.State, c.Cause, c.Ended = Ended, Unroutable, e.now
		return c
	}
	to, err := e.router.Route(entry)
	if err != nil {
		e.log.Info("no route", "from", from.Name(), "number", number, "err", err)
		from.Indicate(c, Congestion)
		c.State, c.Cause, c.Ended = Ended, Unroutable, e.now
		return c
	}
	c.B = to
	e.calls = append(e.calls, c)
	e.log.Info("call", "call", c.ID, "from", from.Name(), "caller", who.Number, "to", to.Name(), "number", number)
	if to == from {
		c.Reject(to, Busy)
		return c
	}
	if err := to.Offer(c, who); err != nil {
		ind := Congestion
		if errors.Is(err, ErrBusy) {
			ind = Busy
		}
		c.Reject(to, ind)
	}
	return c
}

func (e *Engine) remove(c *Call) {
	if i := slices.Index(e.calls, c); i >= 0 {
		e.calls = slices.Delete(e.calls, i, i+1)
	}
}
