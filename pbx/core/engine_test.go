package core_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
)

// A step runs the work posted before it began; what that work posts waits
// for the next step, so work that keeps posting cannot hold a frame back.
func TestStepRunsWorkPostedBeforeIt(t *testing.T) {
	w := newWorld(t)
	var ran []int
	var again func(n int) func()
	again = func(n int) func() {
		return func() {
			ran = append(ran, n)
			w.eng.Post(again(n + 1))
		}
	}
	w.eng.Post(again(1))
	w.eng.Post(func() { ran = append(ran, 100) })
	w.step(1)
	if want := []int{1, 100}; !slices.Equal(ran, want) {
		t.Fatalf("after one step ran %v, want %v", ran, want)
	}
	w.step(2)
	if want := []int{1, 100, 2, 3}; !slices.Equal(ran, want) {
		t.Errorf("after three steps ran %v, want %v", ran, want)
	}
}

// frames is a frontend that gives n frames, then fails (ending Run).
type frames struct {
	n int
	t time.Time
}

var errNoMoreFrames = errors.New("no more frames")

func (f *frames) Receive() (time.Time, error) {
	if f.n == 0 {
		return time.Time{}, errNoMoreFrames
	}
	f.n--
	f.t = f.t.Add(hal.FrameDuration)
	return f.t, nil
}
func (f *frames) Send() {}

// With many calls, Run steps them on several cores: every call still
// bridges its own two parties once a frame, and no other call's audio
// leaks in (run under -race by make race).
func TestRunStepsManyCallsInParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const calls, steps = 300, 5
	var entries []dialplan.Entry
	route := fakeRouter{}
	callers := make([]*fake, calls)
	for i := range calls {
		n := strconv.Itoa(1000 + i)
		entries = append(entries, dialplan.Entry{Pattern: n, Kind: dialplan.Extension, Target: n})
		route[n] = &fake{name: "callee" + n, level: int16(2 * i)}
		callers[i] = &fake{name: "caller" + n, level: int16(2*i + 1)}
	}
	plan, err := dialplan.New(entries)
	if err != nil {
		t.Fatal(err)
	}
	eng := core.New(slog.New(slog.DiscardHandler), &frames{n: steps}, plan, route)
	for i, x := range callers {
		n := strconv.Itoa(1000 + i)
		c := eng.Dial(x, core.Party{Number: "caller"}, n)
		c.Ringing(route[n])
		c.Answer(route[n])
	}
	if err := eng.Run(context.Background()); !errors.Is(err, errNoMoreFrames) {
		t.Fatalf("Run: %v", err)
	}
	for i, x := range callers {
		callee := route[strconv.Itoa(1000+i)].(*fake)
		if x.writes != steps || callee.writes != steps || !x.hears(callee.level) || !callee.hears(x.level) {
			t.Fatalf("call %d: %d and %d frames written, caller hears %d, callee %d; want %d each, %d and %d",
				i, x.writes, callee.writes, x.heard[0], callee.heard[0], steps, callee.level, x.level)
		}
	}
}
