package alsa

import (
	"errors"
	"testing"
	"unsafe"
)

// TestLayout holds the structs against the kernel ABI (asound.h): the ioctl
// numbers embed their sizes.
func TestLayout(t *testing.T) {
	want := map[uintptr][2]uintptr{ // pointer size → hw_params, xferi
		8: {608, 24}, // SNDRV_PCM_IOCTL_HW_PARAMS = 0xc2604111 on arm64/x86_64
		4: {604, 12}, // 0xc25c4111 on 32-bit ARM
	}[unsafe.Sizeof(uintptr(0))]
	if got := unsafe.Sizeof(hwParams{}); got != want[0] {
		t.Errorf("snd_pcm_hw_params is %d bytes, want %d", got, want[0])
	}
	if got := unsafe.Sizeof(xferi{}); got != want[1] {
		t.Errorf("snd_xferi is %d bytes, want %d", got, want[1])
	}
	if unsafe.Sizeof(uintptr(0)) == 8 {
		if got := ioc(iocRead|iocWrite, 0x11, unsafe.Sizeof(hwParams{})); got != 0xc2604111 {
			t.Errorf("HW_PARAMS ioctl %#x", got)
		}
		if got := ioc(iocWrite, 0x50, unsafe.Sizeof(xferi{})); got != 0x40184150 {
			t.Errorf("WRITEI_FRAMES ioctl %#x", got)
		}
	}
	if got := ioc(iocNone, 0x40, 0); got != 0x4140 {
		t.Errorf("PREPARE ioctl %#x", got)
	}
}

func TestFill(t *testing.T) {
	var p hwParams
	p.fill(Config{Channels: 2, Rate: 8000, Format: S16LE, Period: 160, Periods: 4})
	if p.masks[paramFormat][0] != 1<<2 || p.masks[paramAccess][0] != 1<<3 {
		t.Errorf("masks %x %x", p.masks[paramFormat][0], p.masks[paramAccess][0])
	}
	if iv := p.interval(paramRate); iv.min != 8000 || iv.max != 8000 {
		t.Errorf("rate %+v", iv)
	}
	if iv := p.interval(paramChannels); iv.min != 2 || iv.flags != intervalInteger {
		t.Errorf("channels %+v", iv)
	}
}

func TestDevice(t *testing.T) {
	ids := func(id string) (int, error) {
		if id == "sndrpisimplecar" {
			return 1, nil
		}
		return 0, errors.New("no such card")
	}
	for _, tc := range []struct {
		name      string
		card, dev int
		ok        bool
	}{
		{"hw:0,0", 0, 0, true}, {"hw:2", 2, 0, true}, {"hw:CARD=sndrpisimplecar,DEV=0", 1, 0, true},
		{"hw:CARD=nope,DEV=0", 0, 0, false}, {"plughw:0,0", 0, 0, false}, {"hw:0,x", 0, 0, false},
	} {
		c, d, err := Device(tc.name, ids)
		if (err == nil) != tc.ok || (tc.ok && (c != tc.card || d != tc.dev)) {
			t.Errorf("%s: %d,%d %v", tc.name, c, d, err)
		}
	}
}
