package board_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal"
	si321xsim "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
)

func installer(t *testing.T, name string) (*board.SimBoard, *board.Installer) {
	t.Helper()
	b := openSim(t, name)
	x, err := board.NewInstaller(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, x
}

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		board string
		n     int
		chip  string
	}{{"sim-4fxs", 4, "Si3215 rev E"}, {"sim-8fxs", 8, "Si32260 rev E ch "}} {
		_, x := installer(t, tc.board)
		p := x.Probe()
		if len(p) != tc.n {
			t.Fatalf("%s: %d ports probed", tc.board, len(p))
		}
		for _, c := range p {
			if !strings.HasPrefix(c.Chip, tc.chip) || c.State != "in-service" || c.SPI == "" {
				t.Errorf("%s: %+v", tc.board, c)
			}
		}
	}
	if _, err := board.NewInstaller(mustOpen(t, "sim-ideal-4fxs")); err == nil {
		t.Error("the ideal board has no chips to install")
	}
}

func mustOpen(t *testing.T, name string) hal.Board {
	b, err := board.Open(name, board.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRegisters(t *testing.T) {
	for _, tc := range []struct {
		board, set, want string
		value            uint32
	}{
		{"sim-4fxs", "LINEFEED=0x05", "LINEFEED", 0x55},
		{"sim-4fxs", "ir:21=0x1d1", "RING_X", 0x1D1},
		{"sim-8fxs", "linefeed=2", "LINEFEED", 0x22},
		{"sim-8fxs", "ram:767=0x6147AB2", "", 0x6147AB2},
	} {
		_, x := installer(t, tc.board)
		regs, err := x.Registers(2)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range regs {
			if r.Space == "reg" && r.Name == "LINEFEED" && r.Value == 0x11 {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: dump lacks LINEFEED = 0x11: %v", tc.board, regs[:5])
		}
		rv, err := x.SetRegister(2, tc.set)
		if err != nil || rv.Value != tc.value || rv.Name != tc.want {
			t.Errorf("%s %s: %+v %v", tc.board, tc.set, rv, err)
		}
	}
	_, x := installer(t, "sim-4fxs")
	for _, bad := range []string{"LINEFEED", "NOPE=1", "ram:5=1", "LINEFEED=zz"} {
		if _, err := x.SetRegister(1, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := x.Registers(9); err == nil {
		t.Error("port 9 of 4")
	}
}

func TestLineTestInWords(t *testing.T) {
	b, x := installer(t, "sim-4fxs")
	r, err := x.LineTest(1)
	if err != nil || r.Verdict != "ok" || r.Leakage != "pass" {
		t.Fatalf("healthy line: %+v %v", r, err)
	}
	b.Model(2).(*si321xsim.Chip).SetLeak(10e3)
	r, err = x.LineTest(2)
	if err != nil || r.Verdict != "fault" || r.Leakage != "fail" || !strings.Contains(strings.Join(r.Findings, ";"), "leak") {
		t.Fatalf("leaky line: %+v %v", r, err)
	}
	if err := x.Calibrate(3); err != nil {
		t.Fatal(err)
	}
	if st := b.PortStatus()[2]; st.State != "in-service" || st.Linefeed != "forward" {
		t.Errorf("after calibration: %+v", st)
	}
}

func TestRing(t *testing.T) {
	b, x := installer(t, "sim-8fxs")
	res, err := x.Ring(5, 2, 400*time.Millisecond, 200*time.Millisecond)
	if err != nil || res.Answered || res.Cadences != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if c := b.Phone(5).Status().Cadence; len(c) < 3 || c[0] != 400*time.Millisecond || c[1] != 200*time.Millisecond {
		t.Errorf("phone measured cadence %v", c)
	}
	b.Phone(6).OffHook()
	res, err = x.Ring(6, 3, 400*time.Millisecond, 200*time.Millisecond)
	if err != nil || !res.Answered {
		t.Fatalf("%+v %v", res, err)
	}
}
