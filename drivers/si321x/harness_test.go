package si321x_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	model "github.com/hookswitch/hookswitch/hal/sim/chip/si321x"
	"github.com/hookswitch/hookswitch/hal/sim/gpiosim"
	"github.com/hookswitch/hookswitch/hal/sim/simclock"
	"github.com/hookswitch/hookswitch/hal/sim/spisim"
	"github.com/hookswitch/hookswitch/hal/sim/wire"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// bench is one simulated chip on its own chip select with a driver-side
// connection that logs every transaction and every sleep.
type bench struct {
	clk   *simclock.Clock
	wire  *wire.Wire
	chip  *model.Chip
	port  *spisim.Port
	conn  *spisim.Conn
	log   *tlog
	reset *gpiosim.Pin
	irq   *gpiosim.Pin
	sleep proslic.Sleeper
}

func newBench(t testing.TB, part model.Part, mode spi.Mode) *bench {
	t.Helper()
	b := &bench{clk: simclock.New(t0), wire: wire.NewWire(), log: &tlog{is3215: part != model.Si3210}}
	b.reset = gpiosim.New("RESET", 1, gpio.High)
	b.irq = gpiosim.New("INT", 2, gpio.High)
	chip, err := model.New(model.Options{Part: part, Clock: b.clk, Wire: b.wire, Reset: b.reset, IRQ: b.irq})
	if err != nil {
		t.Fatal(err)
	}
	b.chip = chip
	b.port = spisim.NewPort("SIM0.0", chip)
	c, err := b.port.Connect(4*physic.MegaHertz, mode, 8)
	if err != nil {
		t.Fatal(err)
	}
	b.conn = c.(*spisim.Conn)
	b.sleep = proslic.SleeperFunc(func(d time.Duration) {
		b.log.sleep(d)
		b.clk.Sleep(d)
	})
	return b
}

// open probes the chip with the driver.
func (b *bench) open(o *si321x.Opts) (*si321x.Dev, error) {
	return si321x.New(&logConn{Conn: b.conn, log: b.log}, b.reset, b.irq, b.sleep, o)
}

// mustInit opens and initialises.
func (b *bench) mustInit(t testing.TB, o *si321x.Opts) *si321x.Dev {
	t.Helper()
	d, err := b.open(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := d.Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if v := b.chip.Violations(); len(v) > 0 {
		t.Fatalf("protocol violations: %q", v)
	}
	return d
}

// tlog is a human-readable trace: one transaction or sleep per line.
type tlog struct {
	is3215 bool
	mu     sync.Mutex
	lines  []string
	txs    int
	polls  int
}

func (l *tlog) sleep(d time.Duration) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf("        sleep %v", d))
	l.mu.Unlock()
}

func (l *tlog) tx(frames [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.txs++
	var sb strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&sb, "%02x ", f[0])
	}
	raw := strings.TrimSpace(sb.String())
	a := frames[len(frames)-2][0]
	reg := a &^ 0x80
	name := si321x.RegName(reg)
	var what string
	if a&0x80 != 0 {
		what = fmt.Sprintf("read  %3d %-14s = %#02x", reg, name, frames[len(frames)-1][0])
		if reg == si321x.RegIStatus || reg == si321x.RegVBATHSense || reg == si321x.RegCal1 || reg == si321x.RegDCDC {
			l.polls++
		}
	} else {
		what = fmt.Sprintf("write %3d %-14s ← %#02x", reg, name, frames[len(frames)-1][0])
	}
	if reg == si321x.RegIAA && a&0x80 == 0 {
		what += "  (IR " + l.irName(frames[len(frames)-1][0]) + ")"
	}
	l.lines = append(l.lines, fmt.Sprintf("%4d  %-9s %s", l.txs, raw, what))
}

// irName names a chip-numbered indirect register by its Si3210 number.
func (l *tlog) irName(chip byte) string {
	a := int(chip)
	if l.is3215 {
		switch {
		case a <= 27:
			a += 13
		case a == 64:
			a = 41
		case a == 66:
			a = 43
		case a >= 69 && a <= 74:
			a += 30
		case a >= 75 && a <= 85:
			a += 13
		}
	}
	return fmt.Sprintf("%d %s", a, si321x.IRName(si321x.IR(a)))
}

func (l *tlog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + "\n"
}

// logConn logs each transaction with the bytes read back in its last frame.
type logConn struct {
	spi.Conn
	log *tlog
}

func (c *logConn) TxPackets(p []spi.Packet) error {
	if err := c.Conn.TxPackets(p); err != nil {
		return err
	}
	frames := make([][]byte, len(p))
	for i := range p {
		frames[i] = p[i].W
	}
	last := append([]byte(nil), p[len(p)-1].W...)
	if p[len(p)-1].R != nil {
		last = append([]byte(nil), p[len(p)-1].R...)
	}
	frames[len(p)-1] = last
	// A write shows the byte written, a read the byte read.
	if p[len(p)-2].W[0]&0x80 == 0 {
		frames[len(p)-1] = p[len(p)-1].W
	}
	c.log.tx(frames)
	return nil
}
