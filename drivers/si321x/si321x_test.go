package si321x_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/hal"
	model "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

var update = flag.Bool("update", false, "rewrite the golden SPI traces")

func TestInitLeavesChecklistValues(t *testing.T) {
	for _, tc := range []struct {
		part    model.Part
		want    si321x.Part
		irAddr  func(a uint8) (uint8, bool) // Si3210 numbering → chip numbering
		dtmfIRs bool
	}{
		{model.Si3210, si321x.Si3210, func(a uint8) (uint8, bool) { return a, true }, true},
		{model.Si3215, si321x.Si3215, to3215, false},
		{model.Si3216, si321x.Si3216, to3215, false},
	} {
		t.Run(tc.part.String(), func(t *testing.T) {
			b := newBench(t, tc.part, spi.Mode3)
			d := b.mustInit(t, nil)
			if d.Part() != tc.want || d.Revision() != 'E' {
				t.Fatalf("part %s rev %c, want %s rev E", d.Part(), d.Revision(), tc.want)
			}
			regs := []struct {
				reg, mask, want uint8
			}{
				{si321x.RegLinefeed, 0xFF, 0x11}, // forward active, requested and actual
				{si321x.RegLoopback, 0xFF, 0x00},
				{si321x.RegRevC, 0xFF, 0xEB},
				{si321x.RegAuto, 0xFF, 0x07},
				{si321x.RegBatFeed, 0xFF, 0x01},
				{si321x.RegPowerDown1, 0xFF, 0x00},
				{si321x.RegPCMMode, 0x3F, 0x28}, // µ-law, PCM enabled
				{si321x.RegIrqMask2, 0xFF, 0xFF},
				{si321x.RegLoopILimit, 0xFF, 0x01}, // 23 mA
				{si321x.RegCal1, 0xFF, 0x00},
				{si321x.RegDCDC, 0x80, 0x00},
				{si321x.RegRingOscCtl, 0xFF, 0x00},
				{si321x.RegVBATH, 0xFF, 0x32},
			}
			for _, r := range regs {
				if got := b.chip.Reg(r.reg) & r.mask; got != r.want {
					t.Errorf("reg %d %s = %#02x, want %#02x", r.reg, si321x.RegName(r.reg), got, r.want)
				}
			}
			if v, _ := d.ReadReg(si321x.RegVBATHSense); v < 0xC0 {
				t.Errorf("VBAT sense %#02x, want ≥ 0xC0", v)
			}
			if v := b.chip.Reg(si321x.RegDCPeakCal); v < 2 || v > 0x0D {
				t.Errorf("reg 107 = %#02x, want 2..0x0D", v)
			}
			for a, want := range irWant() {
				ca, ok := tc.irAddr(a)
				if !ok {
					continue
				}
				if got := b.chip.IR(ca); got != want {
					t.Errorf("IR %d (chip %d) = %#04x, want %#04x", a, ca, got, want)
				}
			}
			if _, err := d.ReadIR(0); (err == nil) != tc.dtmfIRs {
				t.Errorf("DTMF IR 0 access error = %v on %s", err, tc.part)
			}
			if b.chip.Feed() != hal.FeedForward || b.wire.Feed() != hal.FeedForward {
				t.Errorf("line carries %s, want forward", b.wire.Feed())
			}
		})
	}
}

// irWant is the table the driver must leave: DAHDI's values, with the
// receive gain at the API's 0 dB.
func irWant() map[uint8]uint16 {
	return map[uint8]uint16{
		13: 0x7B30, 14: 0x0063, 16: 0x7870, 17: 0x007D, 20: 0x7EFD, 21: 0x0160, 22: 0,
		26: 0x4000, 27: 0x4000, 28: 0x1000, 29: 0x3600, 30: 0x1000, 31: 0x0200,
		32: 0x07C0, 33: 0x2600, 34: 0x1B80, 35: 0x8000, 36: 0x0320, 37: 0x008C,
		38: 0x0100, 39: 0x0010, 40: 0x0C00, 41: 0x0C00, 43: 0x1000,
	}
}

func to3215(a uint8) (uint8, bool) {
	switch {
	case a >= 13 && a <= 40:
		return a - 13, true
	case a == 41:
		return 64, true
	case a == 43:
		return 66, true
	}
	return 0, false
}

// TestGoldenInitTrace holds the whole power-up sequence against
// testdata/spi/si321x/si3215-init.txt, one SPI transaction per line.
func TestGoldenInitTrace(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	b.mustInit(t, nil)
	got := "# Si3215 rev E on its own chip select: si321x.New (reset, probe) then Init with DefaultOpts.\n" +
		"# One SPI transaction per line: number, bytes sent (chip select released after each byte;\n" +
		"# a read shows the byte clocked back in place of the dummy), then the meaning. Sleeps are the\n" +
		"# driver's waits. Sequence: DAHDI wctdm_init_proslic / AN35, see drivers/si321x/init.go.\n" + b.log.String()
	path := filepath.Join("..", "..", "testdata", "spi", "si321x", "si3215-init.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("init trace differs from %s (go test -update rewrites it); got:\n%s", path, got)
	}
}

func TestLinefeedReadback(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d := b.mustInit(t, nil)
	wantFeed := map[proslic.Linefeed]hal.Feed{
		proslic.Open: hal.FeedOpen, proslic.ForwardActive: hal.FeedForward, proslic.ForwardOHT: hal.FeedOHT,
		proslic.TipOpen: hal.FeedOpen, proslic.Ringing: hal.FeedRinging, proslic.ReverseActive: hal.FeedReverse,
		proslic.ReverseOHT: hal.FeedReverseOHT, proslic.RingOpen: hal.FeedOpen,
	}
	order := []proslic.Linefeed{1, 2, 4, 5, 6, 0, 3, 7, 5, 1, 6, 2, 4, 1}
	for _, lf := range order {
		if err := d.SetLinefeed(lf); err != nil {
			t.Fatal(err)
		}
		req, act, err := d.Linefeed()
		if err != nil {
			t.Fatal(err)
		}
		if req != lf || act != lf {
			t.Errorf("after %s: requested %s actual %s", lf, req, act)
		}
		if got := b.wire.Feed(); got != wantFeed[lf] {
			t.Errorf("after %s: line carries %s, want %s", lf, got, wantFeed[lf])
		}
	}
	if err := d.SetLinefeed(8); !errors.Is(err, si321x.ErrBadOption) {
		t.Errorf("linefeed 8: %v", err)
	}
}

func TestLoopClosureInterrupt(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d := b.mustInit(t, nil)
	var irqAt []time.Time
	b.chip.OnIRQ(func(at time.Time) { irqAt = append(irqAt, at) })
	for i, closed := range []bool{true, false, true, false} {
		at := t0.Add(time.Duration(i+1) * 37 * time.Millisecond)
		b.wire.SetLoop(closed, at)
		if len(irqAt) != i+1 || !irqAt[i].Equal(at) {
			t.Fatalf("hook %v: interrupts at %v, want one more at %v", closed, irqAt, at)
		}
		if b.irq.Read() != gpio.Low {
			t.Fatal("INT not asserted")
		}
		irq, err := d.Interrupts()
		if err != nil {
			t.Fatal(err)
		}
		if !irq.LoopChange || irq.RingTrip || irq.PowerAlarm != 0 {
			t.Errorf("hook %v: interrupts %+v", closed, irq)
		}
		if b.irq.Read() != gpio.High {
			t.Error("INT still asserted after write-1-to-clear")
		}
		got, err := d.LoopClosed()
		if err != nil || got != closed {
			t.Errorf("LoopClosed = %v, %v; want %v", got, err, closed)
		}
	}
}

func TestRingTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		auto     bool // leave reg 67 AORD set, as Init does
		wantFeed proslic.Linefeed
	}{
		{"automatic", true, proslic.ForwardActive},
		{"manual", false, proslic.Ringing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, model.Si3215, spi.Mode3)
			d := b.mustInit(t, nil)
			if !tc.auto {
				if err := d.WriteReg(si321x.RegAuto, si321x.AutoOpenOnAlarm); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.SetLinefeed(proslic.Ringing); err != nil {
				t.Fatal(err)
			}
			if b.wire.Feed() != hal.FeedRinging {
				t.Fatalf("line carries %s while ringing", b.wire.Feed())
			}
			b.wire.SetLoop(true, t0.Add(time.Second))
			irq, err := d.Interrupts()
			if err != nil {
				t.Fatal(err)
			}
			if !irq.RingTrip {
				t.Fatalf("no ring trip interrupt: %+v", irq)
			}
			if irq.LoopChange != tc.auto {
				t.Errorf("loop change interrupt %v, want %v (loop current flows once active)", irq.LoopChange, tc.auto)
			}
			_, trip, err := d.LoopStatus()
			if err != nil || !trip {
				t.Errorf("reg 68 RTP = %v, %v", trip, err)
			}
			req, act, _ := d.Linefeed()
			if req != tc.wantFeed || act != tc.wantFeed {
				t.Errorf("linefeed after ring trip %s/%s, want %s", req, act, tc.wantFeed)
			}
		})
	}
}

func TestHardwareRingCadence(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d := b.mustInit(t, nil)
	if err := d.SetRing(si321x.Ring{Hz: 25, On: 400 * time.Millisecond, Off: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := b.chip.Reg(si321x.RegRingOscCtl); got != si321x.RingTimersOn {
		t.Fatalf("reg 34 = %#02x", got)
	}
	if got := b.chip.IR(7); got != 0x7E6C {
		t.Errorf("25 Hz coefficient %#04x, want 0x7E6C", got)
	}
	board := t0
	b.chip.AdvanceTo(board)
	if err := d.SetLinefeed(proslic.Ringing); err != nil {
		t.Fatal(err)
	}
	var seen []hal.Feed
	for range 12 {
		board = board.Add(100 * time.Millisecond)
		b.chip.AdvanceTo(board)
		seen = append(seen, b.wire.Feed())
	}
	R, F := hal.FeedRinging, hal.FeedForward
	want := []hal.Feed{R, R, R, F, F, R, R, R, R, F, F, R}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("line over 1.2 s: %v, want %v", seen, want)
		}
	}
}

func TestNeonMWI(t *testing.T) {
	b := newBench(t, model.Si3210, spi.Mode3)
	d := b.mustInit(t, nil)
	if err := d.SetNeonMWI(true); err != nil {
		t.Fatal(err)
	}
	if b.chip.Reg(si321x.RegRingOscCtl) != 0x19 || b.chip.Reg(si321x.RegVBATH) != 0x3F || b.chip.IR(21) != 0x7BEF {
		t.Errorf("neon mode: reg 34 %#02x reg 74 %#02x IR 21 %#04x", b.chip.Reg(34), b.chip.Reg(74), b.chip.IR(21))
	}
	if b.wire.Feed() != hal.FeedRinging {
		t.Errorf("neon lamp flashing needs the linefeed ringing, line carries %s", b.wire.Feed())
	}
	if err := d.SetNeonMWI(false); err != nil {
		t.Fatal(err)
	}
	if b.chip.Reg(si321x.RegRingOscCtl) != 0 || b.chip.Reg(si321x.RegVBATH) != 0x32 || b.wire.Feed() != hal.FeedForward {
		t.Errorf("neon off: reg 34 %#02x reg 74 %#02x line %s", b.chip.Reg(34), b.chip.Reg(74), b.wire.Feed())
	}
}

func TestMeasure(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d := b.mustInit(t, nil)
	on, err := d.Measure()
	if err != nil {
		t.Fatal(err)
	}
	if on.Loop < 46 || on.Loop > 50 || on.LoopCurrent != 0 || on.Battery < 72 {
		t.Errorf("on hook: %+v", on)
	}
	b.wire.SetLoop(true, t0.Add(time.Second))
	off, _ := d.Measure()
	if off.LoopCurrent < 21 || off.LoopCurrent > 25 || off.Loop > 10 {
		t.Errorf("off hook: %+v", off)
	}
	b.wire.SetLoop(false, t0.Add(2*time.Second))
	b.chip.SetLeak(20e3)
	leak, _ := d.Measure()
	if leak.LoopCurrent < 1.5 {
		t.Errorf("leaky line on hook draws %.2f mA, want ≈2.4", leak.LoopCurrent)
	}
}

func TestPCMSlots(t *testing.T) {
	for _, tc := range []struct {
		format si321x.PCMFormat
		bus    pcm.Format
		tx, rx int // slots
		exact  bool
	}{
		{si321x.ULaw, pcm.ULaw, 3, 5, false},
		{si321x.ALaw, pcm.ALaw, 0, 0, false},
		{si321x.Linear, pcm.Linear, 6, 2, true},
	} {
		t.Run(tc.format.String(), func(t *testing.T) {
			b := newBench(t, model.Si3215, spi.Mode3)
			o := si321x.DefaultOpts()
			o.Format, o.TxStart, o.RxStart = tc.format, uint16(tc.tx*8), uint16(tc.rx*8)
			b.mustInit(t, &o)
			bus, err := pcm.New(8)
			if err != nil {
				t.Fatal(err)
			}
			b.wire.SetLoop(true, t0)
			var down, up, heard, got hal.Frame
			for i := range down {
				down[i] = int16((i*397)%8000 - 4000)
				up[i] = int16(3000 - (i*211)%6000)
			}
			bus.Begin()
			bus.HostSend(tc.rx, tc.bus, &down)
			b.chip.PCMReceive(bus)
			b.wire.Listen(&heard)
			b.wire.Talk(&up)
			b.chip.PCMTransmit(bus)
			bus.HostReceive(tc.tx, tc.bus, &got)
			if !near(&heard, &down, tc.exact) {
				t.Errorf("phone hears %v…, host sent %v…", heard[:4], down[:4])
			}
			if !near(&got, &up, tc.exact) {
				t.Errorf("host hears %v…, phone sent %v…", got[:4], up[:4])
			}
			var wrong hal.Frame
			bus.HostReceive((tc.tx+4)%8, tc.bus, &wrong)
			if near(&wrong, &up, false) {
				t.Error("the phone's audio is also in a slot the chip was not given")
			}
		})
	}
}

// near reports whether a matches b exactly, or within G.711's quantisation
// (a step is at most 1/16 of the value in the top segment: G.711 Table 1/2).
func near(a, b *hal.Frame, exact bool) bool {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if exact && d != 0 {
			return false
		}
		if d < 0 {
			d = -d
		}
		x := int(b[i])
		if x < 0 {
			x = -x
		}
		if d > x/16+16 {
			return false
		}
	}
	return true
}

// TestFaults injects each fault and checks the documented outcome.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		part   model.Part
		mode   spi.Mode
		inject func(b *bench)
		want   error
		atInit bool // the fault shows at Init rather than New
	}{
		{"absent reads 0xFF", model.Si3215, spi.Mode3, func(b *bench) { b.chip.SetAbsent(model.FloatsHigh) }, si321x.ErrNoChip, false},
		{"absent reads 0x00", model.Si3215, spi.Mode3, func(b *bench) { b.chip.SetAbsent(model.PulledLow) }, si321x.ErrNoChip, false},
		{"wrong SPI mode", model.Si3215, spi.Mode0, func(*bench) {}, si321x.ErrNoChip, false},
		{"bus error", model.Si3215, spi.Mode3, func(b *bench) { b.conn.Fail(-1) }, spisim.ErrInjected, false},
		{"calibration never completes", model.Si3215, spi.Mode3, func(b *bench) { b.chip.SetCalibrationStuck(true) }, si321x.ErrCalibration, true},
		{"converter never reaches voltage", model.Si3210, spi.Mode3, func(b *bench) { b.chip.SetWeakConverter(true) }, si321x.ErrDCDC, true},
		{"leaky line", model.Si3215, spi.Mode3, func(b *bench) { b.chip.SetLeak(10e3) }, si321x.ErrLeakage, true},
		{"bus error during init", model.Si3215, spi.Mode3, func(b *bench) { b.conn.Fail(1) }, spisim.ErrInjected, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, tc.part, tc.mode)
			if !tc.atInit {
				tc.inject(b)
			}
			d, err := b.open(nil)
			if tc.atInit {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				tc.inject(b)
				err = d.Init()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.atInit && b.wire.Feed() != hal.FeedOpen {
				t.Errorf("failed init leaves the line carrying %s", b.wire.Feed())
			}
		})
	}
}

func TestTooOld(t *testing.T) {
	clk, w := simclock.New(t0), wire.NewWire()
	chip, err := model.New(model.Options{Part: model.Si3215, Revision: 1, Clock: clk, Wire: w})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := spisim.NewPort("SIM", chip).Connect(physic.MegaHertz, spi.Mode3, 8)
	if _, err := si321x.New(c, nil, nil, clk, nil); !errors.Is(err, si321x.ErrTooOld) {
		t.Fatalf("revision A: %v", err)
	}
}

func TestBadDCPeakIsForced(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	b.chip.SetBadDCPeak(true)
	b.mustInit(t, nil)
	if got := b.chip.Reg(si321x.RegDCPeakCal); got != 0x08 {
		t.Errorf("reg 107 = %#02x after out-of-range DC-DC calibration, want 0x08", got)
	}
}

func TestPowerAlarm(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d := b.mustInit(t, nil)
	fired := 0
	b.chip.OnIRQ(func(time.Time) { fired++ })
	b.chip.PowerAlarm(3, t0.Add(time.Second))
	if fired != 1 {
		t.Fatalf("%d interrupts for one power alarm", fired)
	}
	irq, err := d.Interrupts()
	if err != nil {
		t.Fatal(err)
	}
	if irq.PowerAlarm != 1<<2 {
		t.Errorf("power alarm bits %#02x, want Q3 (0x04)", irq.PowerAlarm)
	}
	req, act, _ := d.Linefeed()
	if req != proslic.Open || act != proslic.Open || b.wire.Feed() != hal.FeedOpen {
		t.Errorf("after alarm linefeed %s/%s, line %s; want open", req, act, b.wire.Feed())
	}
	// Recovery: writing the linefeed again restores the line.
	if err := d.SetLinefeed(proslic.ForwardActive); err != nil {
		t.Fatal(err)
	}
	if _, act, _ := d.Linefeed(); act != proslic.ForwardActive {
		t.Errorf("linefeed after rewrite %s", act)
	}
	// A shorted line alarms again on every write.
	b.chip.SetAlarmOnFeed(-1)
	_ = d.SetLinefeed(proslic.ForwardActive)
	if _, act, _ := d.Linefeed(); act != proslic.Open {
		t.Errorf("shorted line: linefeed %s, want open", act)
	}
}

func TestDaisyChain(t *testing.T) {
	clk, w0, w1 := simclock.New(t0), wire.NewWire(), wire.NewWire()
	c0, _ := model.New(model.Options{Part: model.Si3215, Chain: 0, Clock: clk, Wire: w0})
	c1, _ := model.New(model.Options{Part: model.Si3210, Chain: 1, Clock: clk, Wire: w1})
	conn, err := spisim.NewPort("SIM", spisim.Chain{c0, c1}).Connect(physic.MegaHertz, spi.Mode3, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := si321x.EnableDaisyChain(conn); err != nil {
		t.Fatal(err)
	}
	var bus sync.Mutex
	var devs []*si321x.Dev
	for i := range 2 {
		o := si321x.DefaultOpts()
		o.Chain, o.Bus = i, &bus
		d, err := si321x.New(conn, nil, nil, clk, &o)
		if err != nil {
			t.Fatalf("chip %d: %v", i, err)
		}
		if err := d.Init(); err != nil {
			t.Fatalf("chip %d: %v", i, err)
		}
		devs = append(devs, d)
	}
	if devs[0].Part() != si321x.Si3215 || devs[1].Part() != si321x.Si3210 {
		t.Fatalf("parts %s, %s", devs[0].Part(), devs[1].Part())
	}
	_ = devs[1].SetLinefeed(proslic.ReverseActive)
	if w0.Feed() != hal.FeedForward || w1.Feed() != hal.FeedReverse {
		t.Errorf("lines carry %s, %s", w0.Feed(), w1.Feed())
	}
	if len(c0.Violations())+len(c1.Violations()) > 0 {
		t.Errorf("violations %q %q", c0.Violations(), c1.Violations())
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	b := newBench(t, model.Si3215, spi.Mode3)
	d, err := si321x.New(b.conn, b.reset, b.irq, b.clk, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Init(); err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func(){
		"Interrupts":  func() { _, _ = d.Interrupts() },
		"LoopStatus":  func() { _, _, _ = d.LoopStatus() },
		"Linefeed":    func() { _, _, _ = d.Linefeed() },
		"SetLinefeed": func() { _ = d.SetLinefeed(proslic.ForwardActive) },
		"IRQAsserted": func() { _ = d.IRQAsserted() },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
