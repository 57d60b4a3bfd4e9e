package si321x_test

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/si321x"
	model "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
)

// BenchmarkInit measures a full port bring-up (reset, probe, Init) against the
// model: SPI transactions in all, those that are status polls (I_STATUS, VBAT,
// calibration: the waits), the simulated time the waits take, and the host
// CPU per init. On hardware add ≈ 50 µs per transaction (spidev ioctl) to the
// waits: ≈ 27 ms of SPI plus 1.46 s of waits (500 ms of them the reset pulse).
// Measured on the CI container (go test -run ^$ -bench Init ./drivers/si321x):
//
//	BenchmarkInit-2  85–172 µs/op  536 tx/op  267 polls/op  1.46 s-simulated/op  31 allocs/op
func BenchmarkInit(b *testing.B) {
	b.ReportAllocs()
	var txs, polls int
	var waited time.Duration
	for range b.N {
		bn := newBench(b, model.Si3215, spi.Mode3)
		start := bn.clk.Now()
		d, err := si321x.New(bn.conn, bn.reset, bn.irq, bn.clk, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Init(); err != nil {
			b.Fatal(err)
		}
		n, _ := bn.conn.Stats()
		txs += n
		waited += bn.clk.Now().Sub(start)
	}
	b.ReportMetric(float64(txs)/float64(b.N), "tx/op")
	b.ReportMetric(waited.Seconds()/float64(b.N), "s-simulated/op")
	// The poll count comes from the golden trace run.
	bn := newBench(b, model.Si3215, spi.Mode3)
	bn.mustInit(b, nil)
	polls = bn.log.polls
	b.ReportMetric(float64(polls), "polls/op")
}
