package cdr

import (
	"log/slog"

	"github.com/hookswitch/hookswitch/pbx/core"
	"testing"
)

// BenchmarkAdd is the engine's cost of filing an ended call's record:
// "queued" hands it to the writer (the loop takes it off the queue again,
// so the cost includes a receive), "full" drops it, as when the disk stalls.
func BenchmarkAdd(b *testing.B) {
	for _, name := range []string{"queued", "full"} {
		b.Run(name, func(b *testing.B) {
			entered, release := make(chan struct{}), make(chan struct{})
			first := true
			s, err := open(b.TempDir(), Options{}, slog.New(slog.DiscardHandler), func() {
				if first {
					first = false
					close(entered)
					<-release
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { close(release); s.Close(b.Context()) }()
			r := rec(1)
			s.Add(r)
			<-entered // the writer is held with record 1
			b.ReportAllocs()
			for b.Loop() {
				s.Add(r)
				if name == "queued" {
					<-s.q
				}
			}
		})
	}
}

// BenchmarkWrite is the writer's cost per record: encode, append, fsync,
// with one record per batch (calls ending one at a time) and 32.
func BenchmarkWrite(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(map[int]string{1: "batch=1", 32: "batch=32"}[n], func(b *testing.B) {
			s, err := open(b.TempDir(), Options{MaxBytes: 64 << 20}, slog.New(slog.DiscardHandler), func() {})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(b.Context())
			recs := [2]core.Record{rec(1), rec(2)} // one FXS-to-SIP record with media, one without
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.w.batch = s.w.batch[:0]
				for range n {
					s.w.batch = append(s.w.batch, recs[i%2])
					i++
				}
				s.write()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/record")
		})
	}
}
