package alsa

import (
	"fmt"
	"strconv"
	"strings"
)

// Format is a sample format (SNDRV_PCM_FORMAT_*).
type Format uint32

// Formats the PCM bus uses.
const (
	S16LE Format = 2  // SNDRV_PCM_FORMAT_S16_LE
	MuLaw Format = 20 // SNDRV_PCM_FORMAT_MU_LAW
	ALaw  Format = 21 // SNDRV_PCM_FORMAT_A_LAW
)

// Width is the bytes per sample.
func (f Format) Width() int {
	if f == S16LE {
		return 2
	}
	return 1
}

// Config is what is asked of the device.
type Config struct {
	Channels int    // interleaved channels (TDM slots as the CPU DAI presents them)
	Rate     int    // Hz; 8000
	Format   Format // sample format
	Period   int    // frames per period; 160 = 20 ms
	Periods  int    // periods in the buffer; default 4
}

// hw_params indices (asound.h SNDRV_PCM_HW_PARAM_*).
const (
	paramAccess         = 0
	paramFormat         = 1
	paramSubformat      = 2
	firstInterval       = 8 // SNDRV_PCM_HW_PARAM_SAMPLE_BITS
	paramChannels       = 10
	paramRate           = 11
	paramPeriodSz       = 13
	paramPeriods        = 15
	accessRWInterleaved = 3 // SNDRV_PCM_ACCESS_RW_INTERLEAVED
)

// mask is struct snd_mask: 256 bits.
type mask [8]uint32

// interval is struct snd_interval: min, max and a flag word (openmin:1,
// openmax:1, integer:1, empty:1).
type interval struct {
	min, max uint32
	flags    uint32
}

const intervalInteger = 1 << 2

// hwParams is struct snd_pcm_hw_params. fifoSize is snd_pcm_uframes_t, an
// unsigned long: 4 bytes on 32-bit ARM, 8 on arm64 (uintptr matches).
type hwParams struct {
	flags     uint32
	masks     [3]mask
	mres      [5]mask
	intervals [12]interval
	ires      [9]interval
	rmask     uint32
	cmask     uint32
	info      uint32
	msbits    uint32
	rateNum   uint32
	rateDen   uint32
	fifoSize  uintptr
	reserved  [64]byte
}

// xferi is struct snd_xferi: result (snd_pcm_sframes_t), buffer, frames.
type xferi struct {
	result int
	buf    uintptr
	frames uintptr
}

// any fills p with "everything allowed", as snd_pcm_hw_params_any does.
func (p *hwParams) any() {
	*p = hwParams{}
	for i := range p.masks {
		for j := range p.masks[i] {
			p.masks[i][j] = ^uint32(0)
		}
	}
	for i := range p.intervals {
		p.intervals[i] = interval{min: 0, max: ^uint32(0)}
	}
	p.rmask = ^uint32(0)
	p.info = ^uint32(0)
}

func (p *hwParams) setMask(i int, v uint32) {
	p.masks[i] = mask{}
	p.masks[i][v/32] = 1 << (v % 32)
}

func (p *hwParams) setInt(i int, v uint32) {
	p.intervals[i-firstInterval] = interval{min: v, max: v, flags: intervalInteger}
}

func (p *hwParams) interval(i int) interval { return p.intervals[i-firstInterval] }

// fill sets the configuration.
func (p *hwParams) fill(c Config) {
	p.any()
	p.setMask(paramAccess, accessRWInterleaved)
	p.setMask(paramFormat, uint32(c.Format))
	p.setMask(paramSubformat, 0)
	p.setInt(paramChannels, uint32(c.Channels))
	p.setInt(paramRate, uint32(c.Rate))
	p.setInt(paramPeriodSz, uint32(c.Period))
	p.setInt(paramPeriods, uint32(c.Periods))
}

// ioctl numbers: _IOC(dir, 'A', nr, size) (asound.h).
func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'A'<<8 | nr }

const (
	iocNone, iocWrite, iocRead = 0, 1, 2
)

// Device parses an ALSA hw device name, "hw:C,D" or "hw:CARD=id,DEV=D";
// cardByID resolves a card id to its number.
func Device(name string, cardByID func(id string) (int, error)) (card, dev int, err error) {
	rest, ok := strings.CutPrefix(name, "hw:")
	if !ok {
		return 0, 0, fmt.Errorf("alsa: %q is not a hw:CARD,DEV device", name)
	}
	parts := strings.Split(rest, ",")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("alsa: %q: too many fields", name)
	}
	c := strings.TrimPrefix(parts[0], "CARD=")
	if card, err = strconv.Atoi(c); err != nil {
		if card, err = cardByID(c); err != nil {
			return 0, 0, fmt.Errorf("alsa: %q: %w", name, err)
		}
	}
	if len(parts) == 2 {
		if dev, err = strconv.Atoi(strings.TrimPrefix(parts[1], "DEV=")); err != nil {
			return 0, 0, fmt.Errorf("alsa: %q: device number: %w", name, err)
		}
	}
	return card, dev, nil
}
