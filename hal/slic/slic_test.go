package slic_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/hal"
	model "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
	"github.com/hookswitch/hookswitch/hal/sim/gpiosim"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
	"github.com/hookswitch/hookswitch/hal/slic"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// rig is one port: chip model, driver, line, stepped by the test.
type rig struct {
	t    testing.TB
	now  time.Time
	wire *wire.Wire
	chip *model.Chip
	conn *spisim.Conn
	line *slic.Line
}

func newRig(t testing.TB, fault func(*model.Chip)) (*rig, error) {
	t.Helper()
	r := &rig{t: t, now: t0, wire: wire.NewWire()}
	clk := simclock.New(t0)
	reset, irq := gpiosim.New("RESET", 1, gpio.High), gpiosim.New("INT", 2, gpio.High)
	chip, err := model.New(model.Options{Part: model.Si3215, Clock: clk, Wire: r.wire, Reset: reset, IRQ: irq})
	if err != nil {
		t.Fatal(err)
	}
	r.chip = chip
	c, err := spisim.NewPort("SIM", chip).Connect(4*physic.MegaHertz, spi.Mode3, 8)
	if err != nil {
		t.Fatal(err)
	}
	r.conn = c.(*spisim.Conn)
	d, err := si321x.New(c, reset, irq, clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fault != nil {
		fault(chip)
	}
	r.line = slic.New(d, slic.Options{Port: 1, Now: func() time.Time { return r.now }})
	chip.OnIRQ(r.line.Interrupt)
	err = r.line.Start(t0)
	return r, err
}

func mustRig(t testing.TB) *rig {
	t.Helper()
	r, err := newRig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// step runs the line for d in frames, as the board does.
func (r *rig) step(d time.Duration) {
	for end := r.now.Add(d); r.now.Before(end); {
		r.now = r.now.Add(hal.FrameDuration)
		r.chip.AdvanceTo(r.now)
		r.line.Poll(r.now)
	}
}

func (r *rig) events() []hal.Event {
	var out []hal.Event
	for {
		select {
		case e := <-r.line.Events():
			out = append(out, e)
		default:
			return out
		}
	}
}

func kinds(ev []hal.Event) string {
	var s []string
	for _, e := range ev {
		s = append(s, e.Kind.String())
	}
	return strings.Join(s, ",")
}

func TestHookEventsCarryTheInterruptTime(t *testing.T) {
	r := mustRig(t)
	// A rotary 3 at 10 pps, 60/40, after lifting the handset.
	at := t0.Add(time.Second + 7*time.Millisecond)
	times := []time.Time{at}
	r.wire.SetLoop(true, at)
	for range 3 {
		at = at.Add(300 * time.Millisecond)
		r.wire.SetLoop(false, at)
		times = append(times, at)
		at = at.Add(60 * time.Millisecond)
		r.wire.SetLoop(true, at)
		times = append(times, at)
	}
	ev := r.events()
	if kinds(ev) != "offhook,onhook,offhook,onhook,offhook,onhook,offhook" {
		t.Fatalf("events %s", kinds(ev))
	}
	for i, e := range ev {
		if !e.At.Equal(times[i]) {
			t.Errorf("event %d %s at %v, want %v", i, e.Kind, e.At, times[i])
		}
	}
}

func TestRingTrip(t *testing.T) {
	r := mustRig(t)
	if err := r.line.SetFeed(hal.FeedRinging); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(1500 * time.Millisecond)
	r.wire.SetLoop(true, at)
	ev := r.events()
	if len(ev) != 1 || ev[0].Kind != hal.OffHook || !ev[0].At.Equal(at) {
		t.Fatalf("events %v", ev)
	}
	if r.line.Feed() != hal.FeedForward || r.wire.Feed() != hal.FeedForward {
		t.Errorf("after ring trip: line feed %s, wire %s", r.line.Feed(), r.wire.Feed())
	}
}

func TestOpenFeedHidesTheLoop(t *testing.T) {
	r := mustRig(t)
	r.wire.SetLoop(true, t0.Add(time.Second))
	r.now = t0.Add(2 * time.Second)
	// Forward disconnect: no battery, so no loop current: not an on-hook.
	if err := r.line.SetFeed(hal.FeedOpen); err != nil {
		t.Fatal(err)
	}
	r.step(500 * time.Millisecond)
	if err := r.line.SetFeed(hal.FeedForward); err != nil {
		t.Fatal(err)
	}
	if ev := r.events(); kinds(ev) != "offhook" {
		t.Errorf("events %s, want the one off-hook", kinds(ev))
	}
	// The phone hung up during the open interval: seen when battery returns.
	_ = r.line.SetFeed(hal.FeedOpen)
	r.wire.SetLoop(false, r.now.Add(10*time.Millisecond))
	r.step(100 * time.Millisecond)
	_ = r.line.SetFeed(hal.FeedForward)
	if ev := r.events(); len(ev) != 1 || ev[0].Kind != hal.OnHook || !ev[0].At.Equal(r.now) {
		t.Errorf("events %v, want on-hook at %v", ev, r.now)
	}
}

func TestSinglePowerAlarmIsRewritten(t *testing.T) {
	r := mustRig(t)
	r.chip.PowerAlarm(2, t0.Add(time.Second))
	if ev := r.events(); len(ev) != 0 {
		t.Errorf("events %v for one transient alarm", ev)
	}
	if r.wire.Feed() != hal.FeedForward {
		t.Errorf("line carries %s after the alarm, want forward again", r.wire.Feed())
	}
	if s := r.line.Status(); s.State != "in-service" || s.Alarms != 1 {
		t.Errorf("status %+v", s)
	}
}

func TestRepeatedAlarmsTakeThePortOutAndBackoffRetries(t *testing.T) {
	r := mustRig(t)
	r.wire.SetLoop(true, t0.Add(500*time.Millisecond))
	r.events()
	r.chip.SetAlarmOnFeed(-1) // a shorted line: every linefeed write alarms
	at := t0.Add(time.Second)
	r.now = at
	r.chip.PowerAlarm(1, at)
	ev := r.events()
	if len(ev) != 1 || ev[0].Kind != hal.Fault || !ev[0].At.Equal(at) || !strings.Contains(ev[0].Reason, "power alarm") {
		t.Fatalf("events %v, want one power-alarm fault at %v", ev, at)
	}
	if err := r.line.SetFeed(hal.FeedForward); !errors.Is(err, slic.ErrOutOfService) {
		t.Errorf("SetFeed out of service: %v", err)
	}
	if r.wire.Feed() != hal.FeedOpen {
		t.Errorf("out-of-service line carries %s", r.wire.Feed())
	}
	// Retries back off 1 s, 2 s, 4 s…: count them over 7.5 s.
	r.step(7500 * time.Millisecond)
	s := r.line.Status()
	if s.State != "out-of-service" || s.Retries != 3 || s.Faults != 1 {
		t.Fatalf("after 7.5 s: %+v", s)
	}
	if want := at.Add(15 * time.Second); s.NextRetry == nil || s.NextRetry.Sub(want).Abs() > hal.FrameDuration {
		t.Errorf("next retry %v, want ≈%v", s.NextRetry, want)
	}
	// The short is cleared; the next retry brings the port back.
	r.chip.SetAlarmOnFeed(0)
	r.step(8 * time.Second)
	ev = r.events()
	if kinds(ev) != "recovered,offhook" {
		t.Fatalf("events %s, want recovered then the phone still off-hook", kinds(ev))
	}
	if r.wire.Feed() != hal.FeedForward || r.line.Status().State != "in-service" {
		t.Errorf("recovered line: %s, %+v", r.wire.Feed(), r.line.Status())
	}
}

func TestInitFailureIsRetried(t *testing.T) {
	var chip *model.Chip
	r, err := newRig(t, func(c *model.Chip) { chip = c; c.SetCalibrationStuck(true) })
	if !errors.Is(err, si321x.ErrCalibration) {
		t.Fatalf("Start: %v", err)
	}
	ev := r.events()
	if len(ev) != 1 || ev[0].Kind != hal.Fault || !strings.Contains(ev[0].Reason, "calibration") {
		t.Fatalf("events %v", ev)
	}
	r.step(2 * time.Second)
	if r.line.Status().State != "out-of-service" {
		t.Fatal("port came back with calibration still stuck")
	}
	chip.SetCalibrationStuck(false)
	r.step(3 * time.Second)
	if ev := r.events(); kinds(ev) != "recovered" || r.wire.Feed() != hal.FeedForward {
		t.Fatalf("events %s, line %s", kinds(ev), r.wire.Feed())
	}
}

func TestLostChipIsFoundByTheAudit(t *testing.T) {
	r := mustRig(t)
	r.chip.SetAbsent(model.FloatsHigh)
	r.step(1200 * time.Millisecond)
	ev := r.events()
	if len(ev) != 1 || ev[0].Kind != hal.Fault || !strings.Contains(ev[0].Reason, "not answering") {
		t.Fatalf("events %v", ev)
	}
	r.chip.SetAbsent(model.Present)
	r.step(2 * time.Second)
	if ev := r.events(); kinds(ev) != "recovered" {
		t.Fatalf("events %s", kinds(ev))
	}
}

func TestBusErrorsTakeThePortOutUntilTheBusWorks(t *testing.T) {
	r := mustRig(t)
	r.conn.Fail(-1)
	at := t0.Add(time.Second)
	r.wire.SetLoop(true, at)
	if ev := r.events(); len(ev) != 1 || ev[0].Kind != hal.Fault {
		t.Fatalf("events %v", ev)
	}
	r.conn.Fail(0)
	r.step(2 * time.Second)
	if ev := r.events(); kinds(ev) != "recovered,offhook" {
		t.Fatalf("events %s", kinds(ev))
	}
}

func TestStuckInterruptFallsBackToPolling(t *testing.T) {
	r := mustRig(t)
	r.chip.SetIRQStuck(true, t0.Add(time.Second))
	r.now = t0.Add(time.Second)
	r.step(100 * time.Millisecond)
	if s := r.line.Status(); !strings.Contains(s.IRQ, "stuck") {
		t.Fatalf("irq %q", s.IRQ)
	}
	lift := r.now.Add(5 * time.Millisecond)
	r.wire.SetLoop(true, lift)
	r.step(hal.FrameDuration)
	ev := r.events()
	if len(ev) != 1 || ev[0].Kind != hal.OffHook {
		t.Fatalf("events %v", ev)
	}
	if d := ev[0].At.Sub(lift); d < 0 || d > hal.FrameDuration {
		t.Errorf("polled off-hook stamped %v after the lift", d)
	}
	r.chip.SetIRQStuck(false, r.now)
	r.step(2 * hal.FrameDuration)
	if s := r.line.Status(); s.IRQ != "ok" {
		t.Errorf("irq %q after the pin came free", s.IRQ)
	}
}

func TestStatusMeasures(t *testing.T) {
	r := mustRig(t)
	s := r.line.Status()
	if s.Chip != "Si3215 rev E" || s.Linefeed != "forward" || s.Measured == nil || s.Measured.Battery < 70 {
		t.Errorf("status %+v", s)
	}
}

func TestPollAllocatesNothing(t *testing.T) {
	r := mustRig(t)
	if n := testing.AllocsPerRun(200, func() { r.step(hal.FrameDuration) }); n != 0 {
		t.Errorf("idle Poll: %v allocations", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		r.wire.SetLoop(true, r.now)
		r.wire.SetLoop(false, r.now)
		<-r.line.Events()
		<-r.line.Events()
	}); n != 0 {
		t.Errorf("interrupt service: %v allocations", n)
	}
}
