//go:build linux

package alsa

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

var (
	ioctlHWParams = ioc(iocRead|iocWrite, 0x11, unsafe.Sizeof(hwParams{}))
	ioctlPrepare  = ioc(iocNone, 0x40, 0)
	ioctlDrop     = ioc(iocNone, 0x43, 0)
	ioctlWriteI   = ioc(iocWrite, 0x50, unsafe.Sizeof(xferi{}))
	ioctlReadI    = ioc(iocRead, 0x51, unsafe.Sizeof(xferi{}))
)

// Stream is one direction of a PCM device.
type Stream struct {
	f       *os.File
	capture bool
	cfg     Config
	x       xferi
	xruns   int
}

// Open opens the playback or capture stream of device name (hw:C,D) and sets
// its hardware parameters.
func Open(name string, capture bool, c Config) (*Stream, error) {
	if c.Rate == 0 {
		c.Rate = 8000
	}
	if c.Period == 0 {
		c.Period = 160
	}
	if c.Periods == 0 {
		c.Periods = 4
	}
	card, dev, err := Device(name, cardByID)
	if err != nil {
		return nil, err
	}
	suffix := "p"
	if capture {
		suffix = "c"
	}
	path := fmt.Sprintf("/dev/snd/pcmC%dD%d%s", card, dev, suffix)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("alsa: %w", err)
	}
	s := &Stream{f: f, capture: capture, cfg: c}
	var p hwParams
	p.fill(c)
	if err := s.ioctl(ioctlHWParams, unsafe.Pointer(&p)); err != nil {
		f.Close()
		return nil, fmt.Errorf("alsa: %s: hw params %+v: %w", path, c, err)
	}
	if got := p.interval(paramPeriodSz); got.min != uint32(c.Period) {
		f.Close()
		return nil, fmt.Errorf("alsa: %s: period of %d frames refused (got %d)", path, c.Period, got.min)
	}
	if err := s.ioctl(ioctlPrepare, nil); err != nil {
		f.Close()
		return nil, fmt.Errorf("alsa: %s: prepare: %w", path, err)
	}
	return s, nil
}

func (s *Stream) ioctl(req uintptr, arg unsafe.Pointer) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, s.f.Fd(), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// Transfer moves one period: buf holds Period × Channels samples of the
// format's width, interleaved. An under- or overrun is recovered once
// (prepare and retry) and counted.
func (s *Stream) Transfer(buf []byte) error {
	frame := s.cfg.Channels * s.cfg.Format.Width()
	if len(buf) < s.cfg.Period*frame {
		return fmt.Errorf("alsa: buffer of %d bytes for a %d-frame period", len(buf), s.cfg.Period)
	}
	req := ioctlWriteI
	if s.capture {
		req = ioctlReadI
	}
	for try := 0; ; try++ {
		s.x = xferi{buf: uintptr(unsafe.Pointer(&buf[0])), frames: uintptr(s.cfg.Period)}
		err := s.ioctl(req, unsafe.Pointer(&s.x))
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EPIPE) || try > 0 {
			return fmt.Errorf("alsa: transfer: %w", err)
		}
		s.xruns++
		if err := s.ioctl(ioctlPrepare, nil); err != nil {
			return fmt.Errorf("alsa: recover: %w", err)
		}
	}
}

// Xruns counts recovered under- and overruns.
func (s *Stream) Xruns() int { return s.xruns }

// Close stops and closes the stream.
func (s *Stream) Close() error {
	_ = s.ioctl(ioctlDrop, nil)
	return s.f.Close()
}

// cardByID finds a card's number by its id (/proc/asound/cardN/id).
func cardByID(id string) (int, error) {
	ids, _ := filepath.Glob("/proc/asound/card[0-9]*/id")
	for _, p := range ids {
		b, err := os.ReadFile(p)
		if err != nil || strings.TrimSpace(string(b)) != id {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(filepath.Base(filepath.Dir(p)), "card%d", &n); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("no sound card %q", id)
}
