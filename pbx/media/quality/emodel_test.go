package quality

import (
	"math"
	"testing"
	"time"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestEstimate(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		r    float64 // worked by hand from the formulas cited in emodel.go
	}{
		{"clean", Input{}, 93.2},
		{"delay under 100 ms costs nothing", Input{Delay: 90 * time.Millisecond}, 93.2},
		{"200 ms delay: Idd = 3.04", Input{Delay: 200 * time.Millisecond}, 93.2 - 3.04},
		// 1 % random loss with PLC: Ie,eff = 95·1/(1+25.1) = 3.64.
		{"1 % random loss", Input{Loss: 0.01}, 93.2 - 95.0/26.1},
		// Without PLC the same loss costs 95·1/(1+4.3) = 17.9.
		{"1 % loss, no PLC", Input{Loss: 0.01, NoPLC: true}, 93.2 - 95.0/5.3},
		// Bursty loss hurts more: BurstR 2 → 95·5/(5/2+25.1).
		{"5 % bursty loss", Input{Loss: 0.05, BurstR: 2}, 93.2 - 95*5/27.6},
		{"total loss", Input{Loss: 1}, 93.2 - 95*100/125.1},
		{"loss and delay floor at 0", Input{Loss: 1, Delay: 2 * time.Second, NoPLC: true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, mos := Estimate(tc.in)
			if !near(r, tc.r, 0.01) || mos != MOS(r) {
				t.Errorf("R %.2f MOS %.3f, want R %.2f", r, mos, tc.r)
			}
		})
	}
}

func TestIdd(t *testing.T) {
	// G.107: Idd rises slowly at first and steeply past ~250 ms.
	tests := []struct {
		ta   time.Duration
		want float64
		tol  float64
	}{
		{100 * time.Millisecond, 0, 0},
		{150 * time.Millisecond, 0.16, 0.01},  // X = 0.585
		{200 * time.Millisecond, 3.04, 0.01},  // X = 1: 25·(2^⅙ − 3·(1+1/729)^⅙ + 2)
		{400 * time.Millisecond, 24.07, 0.01}, // X = 2
	}
	for _, tc := range tests {
		if got := Idd(tc.ta); !near(got, tc.want, tc.tol) {
			t.Errorf("Idd(%v) = %.2f, want %.1f±%.1f", tc.ta, got, tc.want, tc.tol)
		}
	}
	prev := 0.0
	for ms := 100; ms <= 600; ms += 10 {
		v := Idd(time.Duration(ms) * time.Millisecond)
		if v < prev {
			t.Fatalf("Idd not monotonic at %d ms", ms)
		}
		prev = v
	}
}

// The R-to-MOS points G.109's quality categories are usually quoted with.
func TestMOSReferencePoints(t *testing.T) {
	for _, tc := range []struct{ r, mos float64 }{
		{93.2, 4.41}, {90, 4.34}, {80, 4.02}, {70, 3.60}, {60, 3.10}, {50, 2.58},
	} {
		if got := MOS(tc.r); !near(got, tc.mos, 0.005) {
			t.Errorf("MOS(%v) = %.3f, want %.2f", tc.r, got, tc.mos)
		}
	}
}

func TestMOSBounds(t *testing.T) {
	if MOS(-5) != 1 || MOS(120) != 4.5 {
		t.Error("MOS not clamped")
	}
	prev := 1.0
	for r := 0.0; r <= 100; r++ {
		m := MOS(r)
		if m < prev-1e-9 {
			t.Fatalf("MOS not monotonic at R=%v", r)
		}
		prev = m
	}
}

func TestBurstRatio(t *testing.T) {
	tests := []struct {
		bursts, lost, received uint64
		want                   float64
	}{
		{0, 0, 1000, 1},
		{10, 10, 990, 1},                        // isolated losses: p≈0.01, q=1
		{10, 50, 950, 1 / (10.0/950 + 10.0/50)}, // bursts of 5
	}
	for _, tc := range tests {
		if got := BurstRatio(tc.bursts, tc.lost, tc.received); !near(got, tc.want, 0.02) {
			t.Errorf("BurstRatio(%d,%d,%d) = %.3f, want %.3f", tc.bursts, tc.lost, tc.received, got, tc.want)
		}
	}
}
