package slic_test

import (
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal"
)

// BenchmarkInterruptToEvent is the path from the chip model's interrupt (a
// hook change on the wire) to the hal.Event in the line's channel: the
// handler reads and clears the status, reads the loop and sends the event,
// stamped with the interrupt's own time (zero latency in simulated time).
// Measured on the CI container (go test -run ^$ -bench . ./hal/slic):
//
//	BenchmarkInterruptToEvent-2  2.3 µs/op  5.5 spi-tx/op  0 allocs/op
//
// On hardware the same service is ≈ 5.5 spidev transactions (≈ 50 µs each)
// after the goroutine wakes on the pin's edge: ≈ 0.3 ms, well inside 5 ms.
func BenchmarkInterruptToEvent(b *testing.B) {
	r := mustRig(b)
	b.ReportAllocs()
	before, _ := r.conn.Stats()
	at := r.now
	b.ResetTimer()
	for i := range b.N {
		at = at.Add(time.Millisecond)
		r.wire.SetLoop(i%2 == 0, at)
		if e := <-r.line.Events(); !e.At.Equal(at) {
			b.Fatalf("event at %v, interrupt at %v", e.At, at)
		}
	}
	b.StopTimer()
	after, _ := r.conn.Stats()
	b.ReportMetric(float64(after-before)/float64(b.N), "spi-tx/op")
}

// BenchmarkIdle24Ports is one frame of periodic service for 24 idle ports
// (the chip models' timers, the pin check, the once-a-second linefeed
// audit): ns/op divided by the 20 ms frame is the share of a core. On
// hardware the pin check is a GPIO read and the audit one SPI transaction
// per port per second (≈ 50 µs through spidev): 24 × 50 µs/s ≈ 0.12 % of a
// core, plus 24 × 50 GPIO reads/s. Measured on the CI container:
//
//	BenchmarkIdle24Ports-2  2.8 µs/frame  0.014 %core  0.02 spi-tx/port/frame  0 allocs
func BenchmarkIdle24Ports(b *testing.B) {
	rigs := make([]*rig, 24)
	for i := range rigs {
		rigs[i] = mustRig(b)
	}
	b.ReportAllocs()
	var before int
	for _, r := range rigs {
		n, _ := r.conn.Stats()
		before += n
	}
	now := rigs[0].now
	b.ResetTimer()
	for range b.N {
		now = now.Add(hal.FrameDuration)
		for _, r := range rigs {
			r.chip.AdvanceTo(now)
			r.line.Poll(now)
		}
	}
	b.StopTimer()
	var after int
	for _, r := range rigs {
		n, _ := r.conn.Stats()
		after += n
	}
	b.ReportMetric(float64(after-before)/float64(b.N)/24, "spi-tx/port/frame")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(hal.FrameDuration.Nanoseconds())*100, "%core")
}
