package core_test

import (
	"slices"
	"testing"
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
