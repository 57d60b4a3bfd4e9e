package slic

import (
	"context"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// pollEvery is how often Run polls when no edge comes: the frame period.
const pollEvery = 20 * time.Millisecond

// Run services the line on hardware until ctx ends: it waits for the
// interrupt pin's falling edge (at most one frame), services the interrupt
// stamped with now() at wake-up, and polls once per frame. irq may be nil
// (the line then polls every frame).
func (l *Line) Run(ctx context.Context, irq gpio.PinIn, now func() time.Time) {
	next := now()
	for ctx.Err() == nil {
		if irq != nil {
			if irq.WaitForEdge(pollEvery) {
				l.Interrupt(now())
			}
		} else {
			t := time.NewTimer(pollEvery)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if t := now(); !t.Before(next) {
			l.Poll(t)
			next = t.Add(pollEvery)
		}
	}
}
