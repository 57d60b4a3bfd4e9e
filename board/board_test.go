package board_test

import (
	"fmt"
	"github.com/hookswitch/hookswitch/hal/sim/measure"

	"errors"
	"github.com/hookswitch/hookswitch/hal/haltest"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hookswitch/hookswitch/board"
	"github.com/hookswitch/hookswitch/hal"
	si321xsim "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
)

func openSim(t *testing.T, name string) *board.SimBoard {
	t.Helper()
	b, err := board.Open(name, board.Options{Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	sb, ok := b.(*board.SimBoard)
	if !ok {
		t.Fatalf("%s is a %T", name, b)
	}
	return sb
}

func drain(l hal.Line) []hal.Event {
	var out []hal.Event
	for {
		select {
		case e := <-l.Events():
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestSim4FXSIsSi3215Models(t *testing.T) {
	b := openSim(t, "sim-4fxs")
	if n := len(b.Lines()); n != 4 {
		t.Fatalf("%d lines", n)
	}
	for i, s := range b.PortStatus() {
		if s.Port != i+1 || s.State != "in-service" || s.Chip != "Si3215 rev E" || s.Linefeed != "forward" {
			t.Errorf("port %d: %+v", i+1, s)
		}
		if _, ok := b.Model(i + 1).(*si321xsim.Chip); !ok {
			t.Errorf("port %d model %T", i+1, b.Model(i+1))
		}
	}
}

// TestAudioGoesThroughThePCMSlots sends a different tone to every port and
// checks each phone hears its own, and that what each phone says arrives on
// its own port: the slots the driver programmed are the ones the host uses.
func TestAudioGoesThroughThePCMSlots(t *testing.T) {
	b := openSim(t, "sim-4fxs")
	n := len(b.Lines())
	tx, rx := make([]hal.Frame, n), make([]hal.Frame, n)
	for i := range n {
		b.Phone(i + 1).OffHook()
		b.Phone(i + 1).Play(measure.Sine(float64(300+200*i), 8000, 8000))
	}
	got := make([][]int16, n)
	for f := range 25 {
		for i := range n {
			for k := range tx[i] {
				tx[i][k] = int16(6000 * math.Sin(2*math.Pi*float64(1000+100*i)*float64(f*160+k)/8000))
			}
		}
		if _, err := b.Tick(tx, rx); err != nil {
			t.Fatal(err)
		}
		if f >= 5 {
			for i := range n {
				got[i] = append(got[i], rx[i][:]...)
			}
		}
	}
	for i := range n {
		if p := measure.TonePower(b.Phone(i+1).Recording(300*time.Millisecond), float64(1000+100*i)); p < 0.9 {
			t.Errorf("phone %d hears its tone at relative power %.2f", i+1, p)
		}
		if p := measure.TonePower(got[i], float64(300+200*i)); p < 0.9 {
			t.Errorf("port %d receives its phone's tone at relative power %.2f", i+1, p)
		}
	}
	if c := b.Bus().Clashes(); c != 0 {
		t.Errorf("%d PCM slot clashes", c)
	}
}

func TestHookEventsComeFromTheChips(t *testing.T) {
	b := openSim(t, "sim-4fxs")
	tx, rx := make([]hal.Frame, 4), make([]hal.Frame, 4)
	start := b.Now()
	b.Phone(3).OffHook()
	if _, err := b.Tick(tx, rx); err != nil {
		t.Fatal(err)
	}
	ev := drain(b.Lines()[2])
	if len(ev) != 1 || ev[0].Kind != hal.OffHook || !ev[0].At.Equal(start) {
		t.Fatalf("port 3 events %v", ev)
	}
	for _, i := range []int{0, 1, 3} {
		if ev := drain(b.Lines()[i]); len(ev) != 0 {
			t.Errorf("port %d events %v", i+1, ev)
		}
	}
}

// TestAFailingChipLeavesTheOthersWorking injects a shorted line on port 2.
func TestAFailingChipLeavesTheOthersWorking(t *testing.T) {
	b := openSim(t, "sim-4fxs")
	tx, rx := make([]hal.Frame, 4), make([]hal.Frame, 4)
	m := b.Model(2).(*si321xsim.Chip)
	m.SetAlarmOnFeed(-1)
	m.PowerAlarm(1, b.Now())
	for range 10 {
		if _, err := b.Tick(tx, rx); err != nil {
			t.Fatal(err)
		}
	}
	if ev := drain(b.Lines()[1]); len(ev) != 1 || ev[0].Kind != hal.Fault {
		t.Fatalf("port 2 events %v", ev)
	}
	b.Phone(1).OffHook()
	b.Phone(4).OffHook()
	if _, err := b.Tick(tx, rx); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 3} {
		if ev := drain(b.Lines()[i]); len(ev) != 1 || ev[0].Kind != hal.OffHook {
			t.Errorf("port %d events %v", i+1, ev)
		}
	}
	st := b.PortStatus()
	if st[1].State != "out-of-service" || !strings.Contains(st[1].Reason, "power alarm") || st[0].State != "in-service" {
		t.Errorf("status %+v", st)
	}
}

func TestDefinitionErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		field string
	}{
		{"kind", "name: x\nkind: fpga\n", "kind"},
		{"format", "name: x\nkind: sim\npcm: {slots: 8, format: gsm}\n", "pcm.format"},
		{"part", "name: x\nkind: sim\npcm: {slots: 8, format: ulaw}\nchips: [{part: si9999, spi: A, ports: [{number: 1}]}]\n", "chips[0].part"},
		{"channels", "name: x\nkind: sim\npcm: {slots: 8, format: ulaw}\nchips: [{part: si3215, spi: A, ports: [{number: 1}, {number: 2, slot: 1}]}]\n", "chips[0].ports"},
		{"slot overlap", "name: x\nkind: sim\npcm: {slots: 8, format: linear}\nchips: [{part: si3215, spi: A, ports: [{number: 1, slot: 0}]}, {part: si3215, spi: B, ports: [{number: 2, slot: 1}]}]\n", "chips[1].ports[0].slot"},
		{"slot range", "name: x\nkind: sim\npcm: {slots: 4, format: linear}\nchips: [{part: si3215, spi: A, ports: [{number: 1, slot: 3}]}]\n", "chips[0].ports[0].slot"},
		{"shared select", "name: x\nkind: sim\npcm: {slots: 8, format: ulaw}\nchips: [{part: si3215, spi: A, ports: [{number: 1}]}, {part: si3215, spi: A, ports: [{number: 2, slot: 1}]}]\n", "chips[1].spi"},
		{"port gap", "name: x\nkind: sim\npcm: {slots: 8, format: ulaw}\nchips: [{part: si3215, spi: A, ports: [{number: 2}]}]\n", "chips"},
		{"loop current", "name: x\nkind: sim\nfeed: {loop_current_ma: 60}\npcm: {slots: 8, format: ulaw}\n", "feed.loop_current_ma"},
		{"cadence", "name: x\nkind: sim\nring: {on_ms: 2000}\npcm: {slots: 8, format: ulaw}\n", "ring.on_ms"},
		{"hardware device", "name: x\nkind: hardware\npcm: {slots: 8, format: ulaw}\n", "pcm.device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := board.Parse([]byte(tc.yaml), "test.yaml")
			var fe *board.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	if _, err := board.Parse([]byte("name: x\nkind: sim\npcm: {slots: 8, format: ulaw}\nchips: [{part: si3215, spi: A, prots: []}]\n"), "t"); err == nil {
		t.Error("a misspelt key was accepted")
	}
}

func TestBuiltinsValidate(t *testing.T) {
	for _, n := range board.Names() {
		if n == "sim-ideal-4fxs" {
			continue // the foundation's ideal line cards: no definition
		}
		d, err := board.Lookup(n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if d.Ports() == 0 {
			t.Errorf("%s has no ports", n)
		}
	}
	if _, err := board.Open("no-such-board", board.Options{}); err == nil || !strings.Contains(err.Error(), "sim-4fxs") {
		t.Errorf("unknown board: %v", err)
	}
}

// TestHardwareBoardWithoutHardware: on a machine without the SPI port the
// reference board fails with an error naming the field, and no goroutine or
// device is left behind.
func TestHardwareBoardWithoutHardware(t *testing.T) {
	_, err := board.Open("rpi-2xsi3215", board.Options{})
	if err == nil {
		t.Skip("this machine has the reference board's SPI port")
	}
	if !strings.Contains(err.Error(), "chips[0].spi") && !strings.Contains(err.Error(), "periph host") && !strings.Contains(err.Error(), "linux") {
		t.Errorf("error %q names no field", err)
	}
}

func TestBoardFiles(t *testing.T) {
	d, err := board.Load("testdata/rpi-2xsi3215.yaml")
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := board.Lookup("rpi-2xsi3215")
	if fmt.Sprint(*d) != fmt.Sprint(*builtin) {
		t.Errorf("board file differs from the built-in:\n%+v\n%+v", *d, *builtin)
	}
	b, err := board.Open("testdata/sim-2xsi32260-chain.yaml", board.Options{Country: "us"})
	if err != nil {
		t.Fatal(err)
	}
	haltest.TestBoard(t, b, haltest.Phones{Board: b.(board.Simulated)})
}
