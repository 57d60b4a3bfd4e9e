package si3226x

import "errors"

// Errors, each wrapped with the register, RAM word or step that gave it.
var (
	ErrNoChip      = errors.New("si3226x: no chip answers")
	ErrRAMBusy     = errors.New("si3226x: RAM access never completes")
	ErrUserMode    = errors.New("si3226x: user mode does not unlock")
	ErrDCDC        = errors.New("si3226x: DC-DC converter does not reach battery voltage")
	ErrCalibration = errors.New("si3226x: calibration does not complete")
	ErrBadOption   = errors.New("si3226x: bad option")
)
