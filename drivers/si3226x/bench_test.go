package si3226x_test

import (
	"periph.io/x/conn/v3/gpio"

	"testing"

	"github.com/hookswitch/hookswitch/drivers/si3226x"
)

// BenchmarkInit measures probing a chip and bringing both channels up
// against the model: SPI transactions and the simulated time of the waits.
// Measured on the CI container (go test -run ^$ -bench Init ./drivers/si3226x):
//
//	BenchmarkInit-2  113 µs/op  483 tx/op (both channels)  1.40 s-simulated/op  39 allocs/op
func BenchmarkInit(b *testing.B) {
	b.ReportAllocs()
	var txs int
	var waited float64
	for range b.N {
		bn := newBench(b)
		start := bn.clk.Now()
		d, err := si3226x.New(bn.conn, bn.reset, [2]gpio.PinIn{bn.irq, bn.irq}, bn.clk, nil)
		if err != nil {
			b.Fatal(err)
		}
		for k := range 2 {
			if err := d.Channel(k).Init(); err != nil {
				b.Fatal(err)
			}
		}
		n, _ := bn.conn.Stats()
		txs += n
		waited += bn.clk.Now().Sub(start).Seconds()
	}
	b.ReportMetric(float64(txs)/float64(b.N), "tx/op")
	b.ReportMetric(waited/float64(b.N), "s-simulated/op")
}
