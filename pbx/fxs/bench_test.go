package fxs_test

import (
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
	"github.com/hookswitch/hookswitch/pbx/directory"
	"github.com/hookswitch/hookswitch/pbx/fxs"
)

// benchLine is a line whose phone is a fixed recording: it measures the
// PBX's line path alone, without the simulated phone's ears.
type benchLine struct {
	port   int
	events chan hal.Event
	feed   hal.Feed
}

func (l *benchLine) Port() int                { return l.port }
func (l *benchLine) Events() <-chan hal.Event { return l.events }
func (l *benchLine) SetFeed(f hal.Feed) error { l.feed = f; return nil }
func (l *benchLine) Feed() hal.Feed           { return l.feed }

type benchBoard struct {
	lines []hal.Line
	now   time.Time
	audio []hal.Frame // what the phones send, cycled
	n     int
}

func (b *benchBoard) Lines() []hal.Line { return b.lines }
func (b *benchBoard) Close() error      { return nil }
func (b *benchBoard) Tick(tx, rx []hal.Frame) (time.Time, error) {
	for i := range rx {
		rx[i] = b.audio[(b.n+i)%len(b.audio)]
	}
	b.n++
	b.now = b.now.Add(hal.FrameDuration)
	return b.now, nil
}

// newBench builds an engine over n ports, every one off-hook: half of them
// in calls with each other, the rest hearing dial tone, all detecting DTMF.
func newBench(tb testing.TB, n int) *core.Engine {
	b := &benchBoard{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	// The phones send speech-like noise: a sum of drifting tones.
	for f := range 50 {
		var fr hal.Frame
		for i := range fr {
			t := float64(f*160+i) / 8000
			fr[i] = int16(3000*math.Sin(2*math.Pi*310*t) + 2000*math.Sin(2*math.Pi*1170*t+math.Sin(7*t)) + 1000*math.Sin(2*math.Pi*2400*t))
		}
		b.audio = append(b.audio, fr)
	}
	var users []directory.User
	for i := range n {
		b.lines = append(b.lines, &benchLine{port: i + 1, events: make(chan hal.Event, 16)})
		users = append(users, directory.User{Ext: fmt.Sprint(10000 + i), Port: i + 1})
	}
	dir := directory.New(users)
	plan, err := dialplan.New(dir.Entries())
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	bank, err := fxs.NewBank(b, log, fxs.Options{Country: "us", Override: fxs.Override{FirstDigit: time.Hour},
		Subscriber: func(port int) fxs.Subscriber {
			return fxs.Subscriber{Party: fxs.Party{Number: fmt.Sprint(10000 + port - 1)}}
		}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range bank.Ports() {
		dir.Bind(fmt.Sprint(10000+p.Line().Port()-1), p)
	}
	eng := core.New(log, bank, plan, dir)
	bank.Attach(eng)
	for _, l := range b.lines {
		l.(*benchLine).events <- hal.Event{Kind: hal.OffHook, At: b.now}
	}
	if err := eng.Step(); err != nil {
		tb.Fatal(err)
	}
	// Pair the first half: port i calls port i+n/2, which answers.
	ports := bank.Ports()
	for i := 0; i < n/4; i++ {
		a, c := ports[i], ports[i+n/4]
		c.Line().(*benchLine).events <- hal.Event{Kind: hal.OnHook, At: b.now}
		for range 100 { // on-hook past the flash window
			_ = eng.Step()
		}
		eng.Post(func() { eng.Dial(a, fxs.Party{Number: a.Number()}, c.Number()) })
		_ = eng.Step()
		c.Line().(*benchLine).events <- hal.Event{Kind: hal.OffHook, At: b.now}
		_ = eng.Step()
	}
	if got := len(eng.Calls()); got != n/4 {
		tb.Fatalf("%d calls set up, want %d", got, n/4)
	}
	return eng
}

func TestLinePathAllocs(t *testing.T) {
	eng := newBench(t, 8)
	if a := testing.AllocsPerRun(500, func() { _ = eng.Step() }); a != 0 {
		t.Errorf("%.1f allocations per frame for 8 ports", a)
	}
}

// BenchmarkLinePath is the whole PBX line path for one frame on every port:
// hook handling, DTMF detection, tone generation, bridging. ns/port/frame is
// the figure to hold against the 20 µs target.
func BenchmarkLinePath(b *testing.B) {
	for _, n := range []int{8, 64} {
		b.Run(fmt.Sprintf("ports=%d", n), func(b *testing.B) {
			eng := newBench(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_ = eng.Step()
			}
			perPort := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
			b.ReportMetric(perPort, "ns/port/frame")
			b.ReportMetric(20e6/perPort, "ports/core")
		})
	}
}
