//go:build !linux

package board

import (
	"errors"
	"fmt"

	"github.com/hookswitch/hookswitch/hal"
)

// errNoHardware: hardware boards need Linux (spidev, GPIO, ALSA).
var errNoHardware = errors.New("board: hardware boards are opened on linux")

func openHardware(d *Definition, o Options) (hal.Board, error) {
	return nil, fmt.Errorf("%w: %s", errNoHardware, d.Name)
}
