package board

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/hookswitch/hookswitch/drivers/proslic"
	"github.com/hookswitch/hookswitch/drivers/si321x"
	"github.com/hookswitch/hookswitch/drivers/si3226x"
	"github.com/hookswitch/hookswitch/hal/slic"
)

// buildLines builds chip c's driver, found lazily so that a chip missing at
// boot only leaves its ports out of service, and one line adapter per port.
// It is the same for simulated and real chips: only conn, the pins and the
// sleeper differ.
func buildLines(d *Definition, c Chip, conn spi.Conn, bus sync.Locker, reset gpio.PinOut, irq gpio.PinIn, s proslic.Sleeper, now func() time.Time) []*slic.Line {
	if parts()[lower(c.Part)].family == "si321x" {
		opts := si321xOpts(d, c, bus)
		chip := &deferred{name: c.Part, open: func() (slic.Chip, error) {
			return si321x.New(conn, reset, irq, s, &opts)
		}}
		return []*slic.Line{slic.New(chip, slic.Options{Port: c.Ports[0].Number, Now: now, Polling: irq == nil})}
	}
	opts := si3226xOpts(d, c, bus)
	var mu sync.Mutex
	var dev *si3226x.Device
	open := func() (*si3226x.Device, error) {
		mu.Lock()
		defer mu.Unlock()
		if dev == nil {
			dv, err := si3226x.New(conn, reset, [2]gpio.PinIn{irq, irq}, s, &opts)
			if err != nil {
				return nil, err
			}
			dev = dv
		}
		return dev, nil
	}
	var out []*slic.Line
	for k, p := range c.Ports {
		chip := &deferred{name: c.Part, open: func() (slic.Chip, error) {
			dv, err := open()
			if err != nil {
				return nil, err
			}
			return dv.Channel(k), nil
		}}
		out = append(out, slic.New(chip, slic.Options{Port: p.Number, Now: now, Polling: irq == nil}))
	}
	return out
}
