//go:build linux

package board

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zaf/g711"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/hookswitch/hookswitch/board/alsa"
	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/hal/slic"
)

// HWBoard is a real board: SLICs on periph.io SPI and GPIO, audio through
// ALSA on the PCM bus. The PCM clock paces Tick.
type HWBoard struct {
	def    *Definition
	ports  []*slic.Line
	lines  []hal.Line
	play   *alsa.Stream
	capt   *alsa.Stream
	out    []byte
	in     []byte
	chans  int
	chanOf []int // per port: its ALSA channel
	coding string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	spis   []io.Closer

	mu     sync.Mutex
	closed bool
}

var (
	_ hal.Board = (*HWBoard)(nil)
	_ Health    = (*HWBoard)(nil)
)

// wall is the hardware's clock.
func wall() time.Time { return time.Now() }

func openHardware(d *Definition, o Options) (hal.Board, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("board %s: periph host: %w", d.Name, err)
	}
	b := &HWBoard{def: d, coding: d.PCM.Format}
	ok := false
	defer func() {
		if !ok {
			b.release()
		}
	}()
	n := d.Ports()
	b.ports = make([]*slic.Line, n)
	b.lines = make([]hal.Line, n)
	conns := map[string]spi.Conn{}
	buses := map[string]*sync.Mutex{}
	sleep := proslic.SleeperFunc(time.Sleep)
	type chipPins struct {
		irq   gpio.PinIn
		lines []*slic.Line
	}
	var chips []chipPins
	for i, c := range d.Chips {
		f := fmt.Sprintf("chips[%d]", i)
		conn, err := b.connect(c.SPI, conns)
		if err != nil {
			return nil, fmt.Errorf("board %s: %s.spi: %w", d.Name, f, err)
		}
		if _, ok := buses[c.SPI]; !ok {
			buses[c.SPI] = &sync.Mutex{}
			if c.Chain > 0 && parts()[lower(c.Part)].family == "si321x" {
				if err := si321x.EnableDaisyChain(conn); err != nil {
					return nil, fmt.Errorf("board %s: %s: %w", d.Name, f, err)
				}
			}
		}
		var reset gpio.PinOut
		if c.Reset != "" {
			p := gpioreg.ByName(c.Reset)
			if p == nil {
				return nil, fmt.Errorf("board %s: %s.reset: no GPIO %q", d.Name, f, c.Reset)
			}
			reset = p
		}
		var irq gpio.PinIn
		if c.IRQ != "" {
			p := gpioreg.ByName(c.IRQ)
			if p == nil {
				return nil, fmt.Errorf("board %s: %s.irq: no GPIO %q", d.Name, f, c.IRQ)
			}
			irq = p
		}
		ls := buildLines(d, c, conn, buses[c.SPI], reset, irq, sleep, wall)
		for k, l := range ls {
			num := c.Ports[k].Number
			b.ports[num-1], b.lines[num-1] = l, l
		}
		chips = append(chips, chipPins{irq: irq, lines: ls})
	}
	for _, l := range b.ports {
		_ = l.Start(wall()) // a failing chip leaves its port out of service; the others work
	}
	if err := b.openPCM(); err != nil {
		return nil, fmt.Errorf("board %s: pcm: %w", d.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	for _, c := range chips {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			serve(ctx, c.irq, c.lines)
		}()
	}
	ok = true
	return b, nil
}

// connect opens an SPI port once (spidev connects once) for every chip on it.
func (b *HWBoard) connect(name string, conns map[string]spi.Conn) (spi.Conn, error) {
	if c, ok := conns[name]; ok {
		return c, nil
	}
	p, err := spireg.Open(name)
	if err != nil {
		return nil, fmt.Errorf("SPI port %s not found (is SPI enabled, dtparam=spi=on, and /dev/spidev* there?): %w", name, err)
	}
	b.spis = append(b.spis, p)
	c, err := proslic.Connect(p, si321x.MaxSPIHz)
	if err != nil {
		return nil, err
	}
	conns[name] = c
	return c, nil
}

// serve services one chip's lines: interrupts as the pin falls (one pin may
// serve both channels of a chip), the periodic service once per frame.
func serve(ctx context.Context, irq gpio.PinIn, lines []*slic.Line) {
	next := wall()
	for ctx.Err() == nil {
		if irq != nil {
			if irq.WaitForEdge(hal.FrameDuration) {
				at := wall()
				for _, l := range lines {
					l.Interrupt(at)
				}
			}
		} else {
			time.Sleep(hal.FrameDuration)
		}
		if now := wall(); !now.Before(next) {
			for _, l := range lines {
				l.Poll(now)
			}
			next = now.Add(hal.FrameDuration)
		}
	}
}

// openPCM opens capture and playback: 16-bit linear slots are ALSA S16_LE
// channels (two 8-bit slots each), G.711 slots are 8-bit channels.
func (b *HWBoard) openPCM() error {
	d := b.def
	format, width := alsa.S16LE, 2
	switch d.PCM.Format {
	case "ulaw":
		format, width = alsa.MuLaw, 1
	case "alaw":
		format, width = alsa.ALaw, 1
	}
	b.chans = d.PCM.Slots / width
	b.chanOf = make([]int, len(b.ports))
	for _, c := range d.Chips {
		for _, p := range c.Ports {
			if p.Slot%width != 0 {
				return fmt.Errorf("port %d: a linear slot must start on an even 8-bit slot for ALSA", p.Number)
			}
			b.chanOf[p.Number-1] = p.Slot / width
		}
	}
	cfg := alsa.Config{Channels: b.chans, Rate: hal.SampleRate, Format: format, Period: hal.FrameSamples}
	var err error
	if b.play, err = alsa.Open(d.PCM.Device, false, cfg); err != nil {
		return err
	}
	if b.capt, err = alsa.Open(d.PCM.Device, true, cfg); err != nil {
		return err
	}
	b.out = make([]byte, hal.FrameSamples*b.chans*width)
	b.in = make([]byte, len(b.out))
	// Two periods of silence ahead, so playback does not run dry while the
	// first capture period fills.
	for range 2 {
		if err := b.play.Transfer(b.out); err != nil {
			return err
		}
	}
	return nil
}

// Lines returns the lines in port order.
func (b *HWBoard) Lines() []hal.Line { return b.lines }

// Tick writes one frame to every port's slot and reads one back; the
// capture blocks until the PCM clock has produced it.
func (b *HWBoard) Tick(tx, rx []hal.Frame) (time.Time, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return time.Time{}, hal.ErrClosed
	}
	for i, ch := range b.chanOf {
		for s, v := range tx[i] {
			b.put(s, ch, v)
		}
	}
	if err := b.play.Transfer(b.out); err != nil {
		return time.Time{}, err
	}
	if err := b.capt.Transfer(b.in); err != nil {
		return time.Time{}, err
	}
	for i, ch := range b.chanOf {
		for s := range rx[i] {
			rx[i][s] = b.get(s, ch)
		}
	}
	return wall(), nil
}

func (b *HWBoard) put(s, ch int, v int16) {
	switch b.coding {
	case "ulaw":
		b.out[s*b.chans+ch] = g711.EncodeUlawFrame(v)
	case "alaw":
		b.out[s*b.chans+ch] = g711.EncodeAlawFrame(v)
	default:
		binary.LittleEndian.PutUint16(b.out[2*(s*b.chans+ch):], uint16(v))
	}
}

func (b *HWBoard) get(s, ch int) int16 {
	switch b.coding {
	case "ulaw":
		return g711.DecodeUlawFrame(b.in[s*b.chans+ch])
	case "alaw":
		return g711.DecodeAlawFrame(b.in[s*b.chans+ch])
	}
	return int16(binary.LittleEndian.Uint16(b.in[2*(s*b.chans+ch):]))
}

// PortStatus reports every port's health.
func (b *HWBoard) PortStatus() []slic.Status {
	out := make([]slic.Status, len(b.ports))
	for i, l := range b.ports {
		out[i] = l.Status()
	}
	return out
}

// Port returns port n's line (1-based), or nil.
func (b *HWBoard) Port(n int) *slic.Line {
	if n < 1 || n > len(b.ports) {
		return nil
	}
	return b.ports[n-1]
}

// Close halts every line and releases the hardware.
func (b *HWBoard) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	return b.release()
}

func (b *HWBoard) release() error {
	if b.cancel != nil {
		b.cancel()
		b.wg.Wait()
	}
	var errs []error
	for _, l := range b.ports {
		if l != nil {
			errs = append(errs, l.Close())
		}
	}
	for _, s := range []*alsa.Stream{b.play, b.capt} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	for _, c := range b.spis {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Definition returns the board's definition.
func (b *HWBoard) Definition() *Definition { return b.def }
