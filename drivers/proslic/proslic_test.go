package proslic

import (
	"testing"
	"time"
)

func TestTimerPresets(t *testing.T) {
	// ProSLIC API presets (lo, hi bytes): 0.2 s = 0x40,0x06; 0.5 s = 0xA0,0x0F;
	// 2 s = 0x80,0x3E; 4 s = 0x00,0x7D (fxs-brief §1.9).
	for _, tc := range []struct {
		d    time.Duration
		want uint16
	}{
		{200 * time.Millisecond, 0x0640}, {500 * time.Millisecond, 0x0FA0},
		{2 * time.Second, 0x3E80}, {4 * time.Second, 0x7D00}, {time.Hour, 0xFFFF}, {-time.Second, 0},
	} {
		if got := Timer(tc.d); got != tc.want {
			t.Errorf("Timer(%v) = %#04x, want %#04x", tc.d, got, tc.want)
		}
	}
	if TimerDuration(0x3E80) != 2*time.Second {
		t.Error("TimerDuration(0x3E80) != 2 s")
	}
}

func TestRingCoefficients(t *testing.T) {
	for _, tc := range []struct {
		hz  float64
		reg uint16
		ram uint32
	}{
		{16, 0x7F5A, 0x7F5A8E0}, {20, 0x7EFD, 0x7EFD9D5}, {25, 0x7E6C, 0x7E6C925}, {50, 0x79BC, 0x79BC384},
	} {
		if got := RingCoefficient(tc.hz); got != tc.reg {
			t.Errorf("RingCoefficient(%g) = %#04x, want %#04x", tc.hz, got, tc.reg)
		}
		if got := RingCoefficientRAM(tc.hz); got != tc.ram {
			t.Errorf("RingCoefficientRAM(%g) = %#07x, want %#07x", tc.hz, got, tc.ram)
		}
		if f := RingFrequency(tc.reg); f < tc.hz-0.1 || f > tc.hz+0.1 {
			t.Errorf("RingFrequency(%#04x) = %g", tc.reg, f)
		}
	}
}

func TestLinefeedNames(t *testing.T) {
	if ForwardOHT.String() != "forward-oht" || Linefeed(9).String() != "linefeed?" || Linefeed(8).Valid() {
		t.Error("linefeed names")
	}
	if !ReverseOHT.Reversed() || ForwardActive.Reversed() {
		t.Error("polarity")
	}
}
