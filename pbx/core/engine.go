package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/tone"
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
	// helpers take calls to step each frame while Run runs (stepCalls)
	helpers []chan *frameWork
	ticks   []func(time.Time)
	afters  []func(time.Time)

	ringback  tone.Spec // played to a transferred caller while the target alerts; none when unnamed
	holdMusic tone.Spec // played to a held party

	transferRecall time.Duration // WithTransferRecall; 0 is DefaultTransferRecall

	recent     []Record // ended calls, a ring
	recentNext int
	recentMax  int
	sink       Sink // the call log that keeps records past a restart; nil for none
}

// Option configures an engine.
type Option func(*Engine)

// WithTones gives the engine the country's tones: the ringback a caller
// moved by a transfer hears while the target alerts. Without it that
// caller hears silence.
func WithTones(p *tone.Plan) Option {
	return func(e *Engine) {
		if s, ok := p.Tone(tone.Ringback); ok {
			e.ringback = s
		}
	}
}

// WithRecent sets how many ended calls' records Recent keeps (default 200; 0 none).
func WithRecent(n int) Option { return func(e *Engine) { e.recentMax = max(n, 0) } }

// New builds an engine over a frontend, a dial plan and a router.
func New(log *slog.Logger, front Frontend, plan *dialplan.Plan, router Router, opts ...Option) *Engine {
	e := &Engine{log: log, front: front, plan: plan, router: router, posted: make(chan func(), postQueue),
		holdMusic: holdMusic(), recentMax: defaultRecent}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Now returns the time of the last frame.
func (e *Engine) Now() time.Time { return e.now }

// Plan returns the dial plan.
func (e *Engine) Plan() *dialplan.Plan { return e.plan }

// OnTick registers fn to run once per frame in the engine goroutine, after
// the frontend has received and before calls are bridged.
func (e *Engine) OnTick(fn func(now time.Time)) { e.ticks = append(e.ticks, fn) }

// AfterTick registers fn to run once per frame in the engine goroutine,
// after calls are bridged (a batch of RTP the frame wrote goes out here).
// Like OnTick it must be called before the engine runs.
func (e *Engine) AfterTick(fn func(now time.Time)) { e.afters = append(e.afters, fn) }

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
	// Only the work queued when the step began: what is posted meanwhile
	// waits a frame, so a flood of signalling cannot hold the audio back.
	for n := len(e.posted); n > 0; n-- {
		(<-e.posted)()
	}
	e.expireTransfers()
	e.stepCalls()
	for _, fn := range e.afters {
		fn(now)
	}
	e.front.Send()
	return nil
}

// parallelFrom is the number of calls from which their steps are shared
// among the cores; below it a frame's work is too small to gain.
const parallelFrom = 64

// stepChunk is how many calls a stepper takes at a time.
const stepChunk = 16

// frameWork is one frame's calls, taken stepChunk at a time by the engine
// and whichever helpers get a core in time.
type frameWork struct {
	calls []*Call
	next  atomic.Int64  // the first call not yet taken
	left  atomic.Int64  // chunks not yet finished
	done  chan struct{} // the last chunk's stepper signals
}

// run steps chunks until none is left to take.
func (w *frameWork) run() {
	for {
		i := int(w.next.Add(stepChunk)) - stepChunk
		if i >= len(w.calls) {
			return
		}
		for _, c := range w.calls[i:min(i+stepChunk, len(w.calls))] {
			c.step()
		}
		if w.left.Add(-1) == 0 {
			w.done <- struct{}{}
		}
	}
}

// stepCalls moves every call's audio for this frame. Within a frame a call
// touches only its own channels, so the steps are independent and run on
// all cores: on one core a thousand bridged SIP calls took about 7 ms of
// each 20 ms frame, and any wait for that core made the frame late. The
// engine goroutine takes calls too, so a helper that gets no core in time
// (the machine busy with signalling) delays nothing but the chunk it took.
// Channels must be safe for this (a SIP leg's media, an analog port's frame
// are each the call's own); the rest of the engine stays single-threaded.
func (e *Engine) stepCalls() {
	calls := e.calls
	if len(e.helpers) == 0 || len(calls) < parallelFrom {
		for _, c := range calls {
			c.step()
		}
		return
	}
	w := &frameWork{calls: calls, done: make(chan struct{}, 1)}
	w.left.Store(int64((len(calls) + stepChunk - 1) / stepChunk))
	for _, h := range e.helpers {
		select {
		case h <- w:
		default: // an earlier frame's work still waits there: this frame goes without it
		}
	}
	w.run()
	<-w.done
}

// startHelpers starts a call-stepping helper for each core but one, until
// ctx ends.
func (e *Engine) startHelpers(ctx context.Context) {
	e.helpers = make([]chan *frameWork, runtime.GOMAXPROCS(0)-1)
	for i := range e.helpers {
		work := make(chan *frameWork, 1)
		e.helpers[i] = work
		go func() {
			for {
				select {
				case w := <-work:
					w.run()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
}

// Run steps until ctx ends or the frontend fails.
func (e *Engine) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.startHelpers(ctx)
	defer func() { e.helpers = nil }()
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
	c := e.newCall(from, who, number)
	e.offer(c)
	return c
}

func (e *Engine) newCall(from Channel, who Party, number string) *Call {
	e.nextID++
	return &Call{ID: e.nextID, From: who, To: number, A: from, State: Alerting, Started: e.now, eng: e}
}

// offer routes the number c.A dialled and offers c to the channel found.
func (e *Engine) offer(c *Call) {
	from, number := c.A, c.To
	res, entry := e.plan.Match(number)
	if res != dialplan.Complete && res != dialplan.Ambiguous {
		e.log.Info("call to unknown number", "from", from.Name(), "number", number)
		c.outcome = TransferUnroutable
		c.fail(Congestion, Unroutable)
		return
	}
	to, err := e.router.Route(entry)
	if err != nil {
		e.log.Info("no route", "from", from.Name(), "number", number, "err", err)
		c.outcome = TransferUnavailable
		c.fail(Congestion, Unroutable)
		return
	}
	c.B = to
	e.calls = append(e.calls, c)
	e.log.Info("call", "call", c.ID, "from", from.Name(), "caller", c.From.Number, "to", to.Name(), "number", number)
	if to == from {
		c.Reject(to, Busy)
		return
	}
	if err := to.Offer(c, c.From); err != nil {
		ind := Congestion
		if errors.Is(err, ErrBusy) {
			ind = Busy
		}
		c.Reject(to, ind)
	}
}

func (e *Engine) remove(c *Call) {
	if i := slices.Index(e.calls, c); i >= 0 {
		e.calls = slices.Delete(e.calls, i, i+1)
	}
}
