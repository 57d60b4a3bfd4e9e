package si3226x_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si3226x"
	"github.com/hookswitch/hookswitch/hal"
	model "github.com/hookswitch/hookswitch/hal/sim/chip/si3226x"
	"github.com/hookswitch/hookswitch/hal/sim/gpiosim"
	"github.com/hookswitch/hookswitch/hal/sim/pcm"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

var update = flag.Bool("update", false, "rewrite the golden SPI traces")

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

type bench struct {
	clk   *simclock.Clock
	wires [2]*wire.Wire
	chip  *model.Chip
	conn  *spisim.Conn
	reset *gpiosim.Pin
	irq   *gpiosim.Pin
	trace []string
	txs   int
	hi    byte
	log   bool
}

func newBench(t testing.TB) *bench {
	t.Helper()
	b := &bench{clk: simclock.New(t0), wires: [2]*wire.Wire{wire.NewWire(), wire.NewWire()}}
	b.reset, b.irq = gpiosim.New("RESET", 1, gpio.High), gpiosim.New("INT", 2, gpio.High)
	chip, err := model.New(model.Options{Clock: b.clk, Wires: b.wires, Reset: b.reset, IRQ: b.irq})
	if err != nil {
		t.Fatal(err)
	}
	b.chip = chip
	c, err := spisim.NewPort("SIM", chip).Connect(4*physic.MegaHertz, spi.Mode3, 8)
	if err != nil {
		t.Fatal(err)
	}
	b.conn = c.(*spisim.Conn)
	return b
}

func (b *bench) Sleep(d time.Duration) {
	if b.log {
		b.trace = append(b.trace, fmt.Sprintf("        sleep %v", d))
	}
	b.clk.Sleep(d)
}

func (b *bench) open(o *si3226x.Opts) (*si3226x.Device, error) {
	return si3226x.New(&traceConn{Conn: b.conn, b: b}, b.reset, [2]gpio.PinIn{b.irq, b.irq}, b, o)
}

func (b *bench) mustInit(t testing.TB, o *si3226x.Opts) *si3226x.Device {
	t.Helper()
	d, err := b.open(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for k := range 2 {
		if err := d.Channel(k).Init(); err != nil {
			t.Fatalf("Init: %v", err)
		}
	}
	if v := b.chip.Violations(); len(v) > 0 {
		t.Fatalf("protocol violations: %q", v)
	}
	return d
}

// traceConn logs transactions as "control address data  meaning".
type traceConn struct {
	spi.Conn
	b *bench
}

func (c *traceConn) TxPackets(p []spi.Packet) error {
	if err := c.Conn.TxPackets(p); err != nil {
		return err
	}
	if !c.b.log || len(p) != 3 {
		return nil
	}
	ctl, reg := p[0].W[0], p[1].W[0]
	last := p[2].W[0]
	verb, arrow := "write", "←"
	if ctl&0x40 != 0 {
		verb, arrow, last = "read ", "=", p[2].R[0]
	}
	who := fmt.Sprintf("ch %d", chanOf(ctl))
	if ctl&0x80 != 0 {
		who = "all "
	}
	note := ""
	if ctl&0x40 == 0 && reg == si3226x.RegRAMAddrHi {
		c.b.hi = last
	}
	if ctl&0x40 == 0 && reg == si3226x.RegRAMAddrLo {
		note = fmt.Sprintf("  (RAM %d)", uint16(c.b.hi&0xE0)<<3|uint16(last))
	}
	c.b.txs++
	c.b.trace = append(c.b.trace, fmt.Sprintf("%4d  %02x %02x %02x  %s %s %3d %-15s %s %#02x%s",
		c.b.txs, ctl, reg, last, who, verb, reg, si3226x.RegName(reg), arrow, last, note))
	return nil
}

func chanOf(ctl byte) int {
	v := int(ctl & 0x1F)
	return (v>>4)&1 | (v>>2)&2 | v&4 | (v<<2)&8 | (v<<4)&0x10
}

func TestInitLeavesChecklistValues(t *testing.T) {
	b := newBench(t)
	d := b.mustInit(t, nil)
	if d.String() != "Si32260 rev E" {
		t.Errorf("chip %s", d)
	}
	for k := range 2 {
		for _, r := range []struct{ reg, want byte }{
			{si3226x.RegLinefeed, 0x11}, {si3226x.RegPCMMode, 0x11}, {si3226x.RegIRQEn2, 0x03},
			{si3226x.RegIRQEn3, 0x3F}, {si3226x.RegCALR3, 0x00}, {si3226x.RegPDN, 0x80}, {si3226x.RegRingCon, 0},
		} {
			if got := b.chip.Reg(k, r.reg); got != r.want {
				t.Errorf("ch %d reg %d %s = %#02x, want %#02x", k, r.reg, si3226x.RegName(r.reg), got, r.want)
			}
		}
		for _, r := range []struct {
			a    uint16
			want uint32
		}{
			{si3226x.RAMRingFr, 0x7EFD9D5}, {si3226x.RAMRingAmp, 65 * 25301}, {si3226x.RAMZCalFix746, 0x8F00000},
			{si3226x.RAMZCalFix927, 0x1FFE0000}, {si3226x.RAMLkgOHT, 0x3200000}, {si3226x.RAMPDDCDC, 0x400000},
		} {
			if got := b.chip.RAM(k, r.a); got != r.want && !(r.a == si3226x.RAMRingAmp && near(got, r.want)) {
				t.Errorf("ch %d RAM %d = %#x, want %#x", k, r.a, got, r.want)
			}
		}
		if b.chip.UserMode(k) {
			t.Errorf("ch %d left in user mode", k)
		}
		m, err := d.Channel(k).Measure()
		if err != nil || m.Battery < 37 || m.Loop < 40 {
			t.Errorf("ch %d measures %+v, %v", k, m, err)
		}
		if b.wires[k].Feed() != hal.FeedForward {
			t.Errorf("ch %d line %s", k, b.wires[k].Feed())
		}
	}
}

func near(a, b uint32) bool { return a > b-b/200 && a < b+b/200 }

func TestGoldenInitTrace(t *testing.T) {
	b := newBench(t)
	b.log = true
	d, err := b.open(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Channel(0).Init(); err != nil {
		t.Fatal(err)
	}
	got := "# Si32260 rev E, channels 0/1 on one chip select: si3226x.New (reset, probe) then Channel(0).Init\n" +
		"# with DefaultOpts. One SPI transaction per line: number, control/address/data bytes (chip select\n" +
		"# released after each; a read shows the byte clocked back), then the meaning. Sleeps are the\n" +
		"# driver's waits. Sequence: ProSLIC API Si3226_Init, see drivers/si3226x/channel.go.\n" +
		strings.Join(b.trace, "\n") + "\n"
	path := filepath.Join("..", "..", "testdata", "spi", "si3226x", "si32260-init.txt")
	if *update {
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(want) != got {
		t.Fatalf("init trace differs from %s (go test -update rewrites it)", path)
	}
}

func TestChannelIDIsBitReversed(t *testing.T) {
	// proslic_spi_api.c: ch 0 → 0x00, 1 → 0x10, 2 → 0x08, 3 → 0x18.
	for ch, want := range []int{0x00, 0x10, 0x08, 0x18} {
		if chanOf(byte(want)) != ch {
			t.Errorf("control %#02x decodes to %d", want, chanOf(byte(want)))
		}
	}
}

func TestLinefeedReadbackPerChannel(t *testing.T) {
	b := newBench(t)
	d := b.mustInit(t, nil)
	for _, lf := range []proslic.Linefeed{2, 4, 5, 6, 0, 1} {
		if err := d.Channel(1).SetLinefeed(lf); err != nil {
			t.Fatal(err)
		}
		req, act, err := d.Channel(1).Linefeed()
		if err != nil || req != lf || act != lf {
			t.Errorf("ch 1 %s: %s/%s %v", lf, req, act, err)
		}
		if req, _, _ := d.Channel(0).Linefeed(); req != proslic.ForwardActive {
			t.Fatalf("ch 0 changed to %s", req)
		}
	}
}

func TestHookAndRingTripInterrupts(t *testing.T) {
	b := newBench(t)
	d := b.mustInit(t, nil)
	var irqs []time.Time
	b.chip.OnIRQ(func(at time.Time) { irqs = append(irqs, at) })
	at := t0.Add(time.Second)
	b.wires[1].SetLoop(true, at)
	if len(irqs) != 1 || !irqs[0].Equal(at) || b.irq.Read() != gpio.Low {
		t.Fatalf("interrupts %v pin %v", irqs, b.irq.Read())
	}
	if irq, _ := d.Channel(0).Interrupts(); irq.Any() {
		t.Errorf("ch 0 interrupts %+v", irq)
	}
	irq, err := d.Channel(1).Interrupts()
	if err != nil || !irq.LoopChange {
		t.Fatalf("ch 1 interrupts %+v %v", irq, err)
	}
	if b.irq.Read() != gpio.High {
		t.Error("INT still asserted after reading the status (read clears)")
	}
	if c, _ := d.Channel(1).LoopClosed(); !c {
		t.Error("ch 1 loop open")
	}
	// Ring trip on channel 0.
	_ = d.Channel(0).SetLinefeed(proslic.Ringing)
	b.wires[0].SetLoop(true, at.Add(time.Second))
	irq, _ = d.Channel(0).Interrupts()
	if !irq.RingTrip || !irq.LoopChange {
		t.Errorf("ring trip interrupts %+v", irq)
	}
	if _, act, _ := d.Channel(0).Linefeed(); act != proslic.ForwardActive {
		t.Errorf("after ring trip %s", act)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(*bench)
		atInit bool
		want   error
	}{
		{"absent", func(b *bench) { b.chip.SetAbsent(true) }, false, si3226x.ErrNoChip},
		{"bus error", func(b *bench) { b.conn.Fail(-1) }, false, spisim.ErrInjected},
		{"calibration never completes", func(b *bench) { b.chip.SetCalibrationStuck(true) }, true, si3226x.ErrCalibration},
		{"converter never reaches voltage", func(b *bench) { b.chip.SetWeakConverter(true) }, true, si3226x.ErrDCDC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t)
			if !tc.atInit {
				tc.inject(b)
			}
			d, err := b.open(nil)
			if tc.atInit {
				if err != nil {
					t.Fatal(err)
				}
				tc.inject(b)
				err = d.Channel(0).Init()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	b := newBench(t)
	d := b.mustInit(t, nil)
	b.chip.PowerAlarm(0, t0.Add(time.Second))
	irq, _ := d.Channel(0).Interrupts()
	if irq.PowerAlarm == 0 {
		t.Errorf("alarm interrupts %+v", irq)
	}
	if req, act, _ := d.Channel(0).Linefeed(); req != 0 || act != 0 || b.wires[0].Feed() != hal.FeedOpen {
		t.Errorf("after alarm %s/%s", req, act)
	}
	if b.wires[1].Feed() != hal.FeedForward {
		t.Error("the alarm opened the other channel")
	}
}

func TestUserModeRAM(t *testing.T) {
	b := newBench(t)
	d := b.mustInit(t, nil)
	if err := d.WriteRAM(1, si3226x.RAMPDDCDC, 0x400000); err != nil {
		t.Fatal(err)
	}
	v, err := d.ReadRAM(1, si3226x.RAMPDDCDC)
	if err != nil || v != 0x400000 || b.chip.UserMode(1) {
		t.Errorf("RAM 1538 = %#x, %v, user mode %v", v, err, b.chip.UserMode(1))
	}
	if len(b.chip.Violations()) != 0 {
		t.Errorf("violations %q", b.chip.Violations())
	}
}

func TestPCMSlotsAndDaisyChain(t *testing.T) {
	clk := simclock.New(t0)
	var wires [4]*wire.Wire
	for i := range wires {
		wires[i] = wire.NewWire()
	}
	c0, _ := model.New(model.Options{FirstChannel: 0, Clock: clk, Wires: [2]*wire.Wire{wires[0], wires[1]}})
	c1, _ := model.New(model.Options{FirstChannel: 2, Clock: clk, Wires: [2]*wire.Wire{wires[2], wires[3]}})
	conn, err := spisim.NewPort("SIM", spisim.Chain{c0, c1}).Connect(physic.MegaHertz, spi.Mode3, 8)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	bus, _ := pcm.New(16)
	for chip := range 2 {
		o := si3226x.DefaultOpts()
		o.FirstChannel, o.Bus, o.Format = uint8(2*chip), &mu, si3226x.Linear
		for k := range 2 {
			slot := uint16(4*chip + 2*k)
			o.TxStart[k], o.RxStart[k] = slot*8, slot*8
		}
		d, err := si3226x.New(conn, nil, [2]gpio.PinIn{}, clk, &o)
		if err != nil {
			t.Fatal(err)
		}
		for k := range 2 {
			if err := d.Channel(k).Init(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var down [4]hal.Frame
	bus.Begin()
	for i := range 4 {
		for s := range down[i] {
			down[i][s] = int16(1000*i + s)
		}
		bus.HostSend(2*i, pcm.Linear, &down[i])
	}
	c0.PCMReceive(bus)
	c1.PCMReceive(bus)
	for i, w := range wires {
		var heard hal.Frame
		w.SetLoop(true, t0)
		w.Listen(&heard)
		if heard != down[i] {
			t.Errorf("line %d hears %v…, want %v…", i, heard[:3], down[i][:3])
		}
	}
	if len(c0.Violations())+len(c1.Violations()) != 0 {
		t.Errorf("violations %q %q", c0.Violations(), c1.Violations())
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	b := newBench(t)
	d := b.mustInit(t, nil)
	ch := d.Channel(0)
	for name, fn := range map[string]func(){
		"Interrupts":  func() { _, _ = ch.Interrupts() },
		"LoopClosed":  func() { _, _ = ch.LoopClosed() },
		"SetLinefeed": func() { _ = ch.SetLinefeed(proslic.ForwardActive) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}
