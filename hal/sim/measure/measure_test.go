package measure

import "testing"

func TestTonePower(t *testing.T) {
	s := Sine(1000, 4000, 8000)
	if p := TonePower(s, 1000); p < 0.99 || p > 1.01 {
		t.Errorf("1 kHz in 1 kHz: %.3f", p)
	}
	if p := TonePower(s, 1300); p > 0.01 {
		t.Errorf("1.3 kHz in 1 kHz: %.3f", p)
	}
	if p := TonePower(make([]int16, 100), 1000); p != 0 {
		t.Errorf("silence: %v", p)
	}
}
