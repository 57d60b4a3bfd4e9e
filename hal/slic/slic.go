package slic

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/hal"
)

// Chip is one SLIC channel as a line needs it. si321x.Dev and
// si3226x.Channel implement it.
type Chip interface {
	String() string
	Init() error
	SetLinefeed(proslic.Linefeed) error
	Linefeed() (requested, actual proslic.Linefeed, err error)
	Interrupts() (proslic.Interrupts, error)
	LoopClosed() (bool, error)
	IRQAsserted() bool // interrupt pin asserted (true when there is no pin)
	Halt() error
}

// Resetter is a chip that can be reset before a retried initialisation.
type Resetter interface{ Reset() error }

// Measurer is a chip that measures its line.
type Measurer interface {
	Measure() (proslic.Measurements, error)
}

// Options configure a line. Zero fields take the defaults in brackets.
type Options struct {
	Port       int
	Now        func() time.Time // the board's clock, to stamp events found while applying a feed; required
	Backoff    time.Duration    // first retry after a fault [1 s]
	MaxBackoff time.Duration    // retries back off by doubling up to this [60 s]
	// MaxAlarms power alarms within the forgiveness window are rewritten in
	// place; one more takes the port out of service. DAHDI wctdm.c
	// MAX_ALARMS = 10, forgiving one alarm every 10 s.
	MaxAlarms int           // [10]
	Forgive   time.Duration // [10 s]
	Audit     time.Duration // how often the linefeed is read back to catch a missed alarm [1 s]
	Polling   bool          // no interrupt pin: read status and loop on every Poll
}

func (o *Options) fill() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Backoff, time.Second)
	def(&o.MaxBackoff, time.Minute)
	def(&o.Forgive, 10*time.Second)
	def(&o.Audit, time.Second)
	if o.MaxAlarms == 0 {
		o.MaxAlarms = 10
	}
}

// ErrOutOfService is returned by SetFeed while the port is out of service;
// the feed is kept and applied on recovery.
var ErrOutOfService = errors.New("slic: port out of service")

// eventBuffer holds far more than one frame of events (rotary dialling).
const eventBuffer = 1024

// serviceRounds bounds one interrupt service: status is re-read while the
// pin stays asserted (a new interrupt while clearing the last).
const serviceRounds = 16

// State is a port's health.
type State uint8

// States.
const (
	InService State = iota
	OutOfService
)

func (s State) String() string {
	if s == InService {
		return "in-service"
	}
	return "out-of-service"
}

// irqMode says how the port learns of changes.
type irqMode uint8

const (
	irqOK      irqMode = iota
	irqStuck           // the pin stays asserted with nothing pending: polling
	irqPolling         // no pin: polling
)

var irqNames = [...]string{"ok", "stuck asserted, polling", "none, polling"}

// Line is one FXS port on a SLIC channel.
type Line struct {
	chip    Chip
	o       Options
	events  chan hal.Event
	dropped atomic.Uint64

	mu        sync.Mutex
	want      hal.Feed
	state     State
	reason    string
	since     time.Time
	hook      bool // loop state last reported
	level     int  // alarms in the forgiveness bucket
	forgiven  time.Time
	alarms    int
	faults    int
	retries   int
	failed    int // failed recoveries since the fault
	backoff   time.Duration
	retryAt   time.Time
	needInit  bool
	irq       irqMode
	unclaimed int // consecutive services with the pin asserted and nothing pending
	auditAt   time.Time
}

var _ hal.Line = (*Line)(nil)

// New returns the line for chip. Call Start to bring it up.
func New(chip Chip, o Options) *Line {
	o.fill()
	l := &Line{chip: chip, o: o, events: make(chan hal.Event, eventBuffer), want: hal.FeedForward}
	if o.Polling {
		l.irq = irqPolling
	}
	return l
}

// Start initialises the chip and puts the line in service with forward
// feed. A chip that fails leaves the port out of service (a Fault event is
// queued) and scheduled for retry; the error is returned for the log.
func (l *Line) Start(at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since = at
	if err := l.chip.Init(); err != nil {
		l.fail(at, "init: "+err.Error(), true)
		return fmt.Errorf("slic: port %d: %w", l.o.Port, err)
	}
	if err := l.enter(at); err != nil {
		return fmt.Errorf("slic: port %d: %w", l.o.Port, err)
	}
	return nil
}

// enter puts the line in service: interrupts cleared, feed applied, hook read.
func (l *Line) enter(at time.Time) error {
	if _, err := l.chip.Interrupts(); err != nil {
		l.fail(at, "interrupts: "+err.Error(), true)
		return err
	}
	if err := l.chip.SetLinefeed(linefeed(l.want)); err != nil {
		l.fail(at, "linefeed: "+err.Error(), true)
		return err
	}
	l.state, l.reason, l.since = InService, "", at
	l.auditAt = at.Add(l.o.Audit)
	l.hook = false
	l.checkHook(at)
	return nil
}

// Port returns the 1-based port number.
func (l *Line) Port() int { return l.o.Port }

// Events delivers hook changes and faults in time order.
func (l *Line) Events() <-chan hal.Event { return l.events }

// Dropped counts events lost to a full buffer.
func (l *Line) Dropped() uint64 { return l.dropped.Load() }

// Feed returns the feed last asked for (applied again on recovery).
func (l *Line) Feed() hal.Feed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.want
}

// SetFeed applies a linefeed. Interrupts raised by the change (a loop found
// closed when battery returns) are serviced at once.
func (l *Line) SetFeed(f hal.Feed) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := l.want
	l.want = f
	if l.state != InService {
		return fmt.Errorf("%w: %s", ErrOutOfService, l.reason)
	}
	if err := l.chip.SetLinefeed(linefeed(f)); err != nil {
		now := l.o.Now()
		l.fail(now, "linefeed: "+err.Error(), true)
		return fmt.Errorf("slic: port %d: %w", l.o.Port, err)
	}
	if l.chip.IRQAsserted() && l.irq == irqOK {
		l.service(l.o.Now(), false)
	} else if !senses(prev) && senses(f) {
		l.checkHook(l.o.Now())
	}
	return nil
}

// Interrupt services the chip's interrupt, which fired at at.
func (l *Line) Interrupt(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != InService {
		_, _ = l.chip.Interrupts() // release the pin; the retry decides
		return
	}
	l.service(at, false)
}

// Poll is the periodic service, once per frame: interrupts the pin shows but
// nobody serviced, polling when there is no working pin, the linefeed
// audit, and retries of a port out of service.
func (l *Line) Poll(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != InService {
		if !now.Before(l.retryAt) {
			l.retry(now)
		}
		return
	}
	switch l.irq {
	case irqOK:
		if l.chip.IRQAsserted() {
			l.service(now, true)
		} else {
			l.unclaimed = 0
		}
	case irqStuck:
		if !l.chip.IRQAsserted() {
			l.irq, l.unclaimed = irqOK, 0
		}
		l.service(now, true)
	case irqPolling:
		l.service(now, true)
	}
	if l.state == InService && !now.Before(l.auditAt) {
		l.auditAt = now.Add(l.o.Audit)
		l.audit(now)
	}
}

// stuckPolls is how many consecutive frames the pin must stay asserted with
// nothing pending for this line before it counts as stuck. More than one,
// because a pin shared by two channels may be the other channel's.
const stuckPolls = 3

// service reads and clears the chip's interrupts and acts on them. poll says
// the periodic service called it, where a pin asserted for nothing counts
// towards a stuck line.
func (l *Line) service(at time.Time, poll bool) {
	for round := 0; round < serviceRounds && l.state == InService; round++ {
		irq, err := l.chip.Interrupts()
		if err != nil {
			l.fail(at, "interrupts: "+err.Error(), true)
			return
		}
		if !irq.Any() {
			if poll && l.irq == irqOK && round == 0 && l.chip.IRQAsserted() {
				if l.unclaimed++; l.unclaimed >= stuckPolls {
					l.irq = irqStuck // a stuck line can no longer signal: poll
				}
			}
			if l.irq != irqOK {
				l.checkHook(at)
			}
			return
		}
		l.unclaimed = 0
		if irq.PowerAlarm != 0 {
			l.alarm(at)
			if l.state != InService {
				return
			}
		}
		if irq.RingTrip && l.want == hal.FeedRinging {
			// Ring trip: the chip may already have gone active by itself
			// (reg 67 AORD); make sure it has.
			l.want = hal.FeedForward
			if err := l.chip.SetLinefeed(proslic.ForwardActive); err != nil {
				l.fail(at, "linefeed: "+err.Error(), true)
				return
			}
			l.hookEvent(true, at)
		}
		if irq.LoopChange || irq.PowerAlarm != 0 {
			l.checkHook(at)
		}
		if l.irq == irqOK && !l.chip.IRQAsserted() {
			return
		}
	}
}

// checkHook reads the loop and reports a change. With the feed open no loop
// current flows and the detector says nothing about the hook switch, so the
// last reported state stands until battery returns.
func (l *Line) checkHook(at time.Time) {
	if !senses(l.want) {
		return
	}
	closed, err := l.chip.LoopClosed()
	if err != nil {
		l.fail(at, "loop status: "+err.Error(), true)
		return
	}
	if !closed && l.hook {
		// An open loop means on-hook only if battery is really on the
		// line: after a power alarm the chip has opened it by itself.
		_, actual, err := l.chip.Linefeed()
		if err != nil {
			l.fail(at, "linefeed: "+err.Error(), true)
			return
		}
		if actual == proslic.Open || actual == proslic.TipOpen || actual == proslic.RingOpen || actual == proslic.Ringing {
			return
		}
	}
	l.hookEvent(closed, at)
}

func (l *Line) hookEvent(closed bool, at time.Time) {
	if closed == l.hook {
		return
	}
	l.hook = closed
	k := hal.OnHook
	if closed {
		k = hal.OffHook
	}
	l.emit(hal.Event{Kind: k, At: at})
}

func (l *Line) emit(e hal.Event) {
	select {
	case l.events <- e:
	default:
		l.dropped.Add(1)
	}
}

// alarm answers a power alarm: the chip has dropped the linefeed to open.
// Alarms fill a bucket that leaks one every Forgive; while it holds no more
// than MaxAlarms the linefeed is rewritten at once (DAHDI wctdm.c), beyond
// that the port goes out of service.
func (l *Line) alarm(at time.Time) {
	l.alarms++
	if l.forgiven.IsZero() {
		l.forgiven = at
	}
	for l.level > 0 && at.Sub(l.forgiven) >= l.o.Forgive {
		l.level--
		l.forgiven = l.forgiven.Add(l.o.Forgive)
	}
	if l.level == 0 {
		l.forgiven = at
	}
	l.level++
	if l.level > l.o.MaxAlarms {
		l.fail(at, fmt.Sprintf("power alarm: %d in a row, the line may be shorted or overloaded", l.level), false)
		return
	}
	if err := l.chip.SetLinefeed(linefeed(l.want)); err != nil {
		l.fail(at, "linefeed: "+err.Error(), true)
	}
}

// audit reads the linefeed back: open when we asked for something else means
// a power alarm whose interrupt was missed (DAHDI's reg 64 check); a chip
// that no longer answers goes out of service.
func (l *Line) audit(now time.Time) {
	req, _, err := l.chip.Linefeed()
	if err != nil {
		l.fail(now, "chip not answering: "+err.Error(), true)
		return
	}
	if req == proslic.Open && l.want != hal.FeedOpen {
		l.alarm(now)
	}
}

// fail takes the port out of service and schedules a retry.
func (l *Line) fail(at time.Time, reason string, needInit bool) {
	if l.state == OutOfService {
		l.reason = reason
		l.needInit = l.needInit || needInit
		l.reschedule(at)
		return
	}
	if at.Sub(l.since) >= l.o.MaxBackoff {
		l.backoff = 0 // a long healthy spell earns a fresh back-off
	}
	l.state, l.reason, l.since, l.needInit = OutOfService, reason, at, needInit
	l.faults++
	l.failed = 0
	_ = l.chip.Halt()
	l.reschedule(at)
	l.emit(hal.Event{Kind: hal.Fault, At: at, Reason: reason})
}

func (l *Line) reschedule(at time.Time) {
	switch {
	case l.backoff == 0:
		l.backoff = l.o.Backoff
	case l.backoff < l.o.MaxBackoff:
		l.backoff = min(2*l.backoff, l.o.MaxBackoff)
	}
	l.retryAt = at.Add(l.backoff)
}

// retry tries to bring the port back: a full reset and initialisation when
// the chip failed or recovery keeps failing, otherwise the linefeed again.
func (l *Line) retry(now time.Time) {
	l.retries++
	if l.needInit || l.failed >= 2 {
		if r, ok := l.chip.(Resetter); ok {
			if err := r.Reset(); err != nil {
				l.retryFailed(now, "reset: "+err.Error())
				return
			}
		}
		if err := l.chip.Init(); err != nil {
			l.retryFailed(now, "init: "+err.Error())
			return
		}
		l.needInit = false
	}
	if _, err := l.chip.Interrupts(); err != nil {
		l.retryFailed(now, "interrupts: "+err.Error())
		return
	}
	if err := l.chip.SetLinefeed(linefeed(l.want)); err != nil {
		l.retryFailed(now, "linefeed: "+err.Error())
		return
	}
	irq, err := l.chip.Interrupts()
	if err == nil && irq.PowerAlarm != 0 {
		l.alarms++
		err = errors.New("power alarm on re-applying the linefeed")
	}
	if err == nil {
		if req, _, rerr := l.chip.Linefeed(); rerr != nil {
			err = rerr
		} else if req != linefeed(l.want) {
			err = fmt.Errorf("linefeed reads back %s", req)
		}
	}
	if err != nil {
		l.retryFailed(now, err.Error())
		return
	}
	l.level, l.failed = 0, 0
	l.state, l.reason, l.since = InService, "", now
	l.auditAt = now.Add(l.o.Audit)
	l.emit(hal.Event{Kind: hal.Recovered, At: now})
	l.hook = false // the FXS channel starts a recovered port on-hook
	l.checkHook(now)
}

func (l *Line) retryFailed(now time.Time, reason string) {
	l.failed++
	l.reason = reason
	_ = l.chip.Halt()
	l.reschedule(now)
}

// Close halts the line.
func (l *Line) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.chip.Halt()
}

// linefeed maps a hal feed onto the ProSLIC code.
func linefeed(f hal.Feed) proslic.Linefeed {
	switch f {
	case hal.FeedForward:
		return proslic.ForwardActive
	case hal.FeedReverse:
		return proslic.ReverseActive
	case hal.FeedOHT:
		return proslic.ForwardOHT
	case hal.FeedReverseOHT:
		return proslic.ReverseOHT
	case hal.FeedRinging:
		return proslic.Ringing
	}
	return proslic.Open
}

// senses reports whether loop current flows in f, so that the loop-closure
// detector sees the hook switch.
func senses(f hal.Feed) bool {
	return f == hal.FeedForward || f == hal.FeedReverse || f == hal.FeedOHT || f == hal.FeedReverseOHT
}
