package pbx_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/hal/sim"
	"github.com/hookswitch/hookswitch/hal/sim/phone"
	"github.com/hookswitch/hookswitch/pbx"
	"github.com/hookswitch/hookswitch/pbx/config"
)

// BenchmarkSimulatedBoard runs the whole simulated board, phones and all:
// every port off-hook, half of them talking in pairs, the rest hearing dial
// tone. The simulated phones' ears (tone recogniser, FSK receiver) cost more
// than the PBX's line path; BenchmarkLinePath in pbx/fxs measures that alone.
func BenchmarkSimulatedBoard(b *testing.B) {
	for _, n := range []int{4, 32} {
		b.Run(fmt.Sprintf("ports=%d", n), func(b *testing.B) {
			cfg := config.Default()
			cfg.Users = nil
			for i := range n {
				cfg.Users = append(cfg.Users, config.User{Ext: fmt.Sprint(1000 + i), Port: i + 1})
			}
			bd, err := sim.New(sim.Options{Ports: n, Country: "us", Phone: phone.Options{Record: time.Second}})
			if err != nil {
				b.Fatal(err)
			}
			p, err := pbx.New(cfg, bd, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			for i := range n / 4 {
				bd.Phone(i + 1).OffHook()
			}
			_ = p.Advance(500 * time.Millisecond)
			for i := range n / 4 {
				_ = bd.Phone(i + 1).DialDTMF(fmt.Sprint(1000 + n/4 + i))
			}
			_ = p.Advance(3 * time.Second)
			for i := n / 4; i < n; i++ {
				bd.Phone(i + 1).OffHook()
			}
			_ = p.Advance(time.Second)
			if got := len(p.Engine.Calls()); got != n/4 {
				b.Fatalf("%d calls, want %d", got, n/4)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_ = p.Engine.Step()
			}
			perPort := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
			b.ReportMetric(perPort, "ns/port/frame")
			b.ReportMetric(20e6/perPort, "ports/core")
		})
	}
}
