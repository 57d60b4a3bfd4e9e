package board

import (
	"errors"
	"fmt"

	"github.com/hookswitch/hookswitch/hal"
)

// errNoHardware is returned where the target's hardware support is not built.
var errNoHardware = errors.New("board: hardware boards are opened on the target (linux)")

func openHardware(d *Definition, o Options) (hal.Board, error) {
	return nil, fmt.Errorf("%w: %s", errNoHardware, d.Name)
}
