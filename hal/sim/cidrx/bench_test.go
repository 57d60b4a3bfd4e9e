package cidrx

import (
	"testing"
	"time"
)

// BenchmarkReceive measures one 20 ms frame of FSK through the receiver
// (carrier present, UART and message assembly running).
func BenchmarkReceive(b *testing.B) {
	for _, std := range []Standard{Bell202, V23} {
		b.Run(std.String(), func(b *testing.B) {
			var l line
			l.add(fsk(genOpts{std: std, level: -13.5}, fskBits(true, 180, withChecksum(0x80, 0x05, 0x02, 0x03, '2', '0', '1'))))
			var frames [][frameSamples]int16
			for i := 0; i+frameSamples <= len(l.s); i += frameSamples {
				var f [frameSamples]int16
				for j := range f {
					f[j] = int16(l.s[i+j])
				}
				frames = append(frames, f)
			}
			r := New(std)
			at := t0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Feed(&frames[i%len(frames)], at)
				at = at.Add(20 * time.Millisecond)
				i++
			}
		})
	}
}
