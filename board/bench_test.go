package board_test

import (
	"time"

	"testing"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
)

// BenchmarkTick is one 20 ms frame of a whole simulated board with idle
// phones: PCM through the chip models' slots, phones, interrupts and the
// adapters' service. Measured on the CI container
// (go test -run ^$ -bench Tick ./board):
//
//	sim-ideal-4fxs ≈ 45 µs/frame, sim-4fxs ≈ 48–60 µs, sim-8fxs ≈ 82 µs, 0 allocs
//
// The simulated phones (tone and caller-ID receivers) dominate; the chip
// models, drivers and PCM slots add a few µs per port.
func BenchmarkTick(b *testing.B) {
	for _, name := range []string{"sim-ideal-4fxs", "sim-4fxs", "sim-8fxs"} {
		b.Run(name, func(b *testing.B) {
			bd, err := board.Open(name, board.Options{Country: "us", Phone: phone.Options{Record: time.Second}})
			if err != nil {
				b.Fatal(err)
			}
			defer bd.Close()
			n := len(bd.Lines())
			tx, rx := make([]hal.Frame, n), make([]hal.Frame, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := bd.Tick(tx, rx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
