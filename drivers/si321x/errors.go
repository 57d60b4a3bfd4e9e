package si321x

import "errors"

// Errors. Each is wrapped with the register or step that gave it.
var (
	ErrNoChip       = errors.New("si321x: no chip answers")
	ErrInsane       = errors.New("si321x: chip fails sanity check")
	ErrTooOld       = errors.New("si321x: chip revision too old")
	ErrIndirectBusy = errors.New("si321x: indirect access never completes")
	ErrNoSuchIR     = errors.New("si321x: no such indirect register on this part")
	ErrDCDC         = errors.New("si321x: DC-DC converter does not reach battery voltage")
	ErrLeakage      = errors.New("si321x: excessive leakage on the line")
	ErrCalibration  = errors.New("si321x: calibration does not complete")
	ErrVerify       = errors.New("si321x: indirect register readback mismatch")
	ErrLinefeed     = errors.New("si321x: linefeed does not read back")
	ErrBadOption    = errors.New("si321x: bad option")
)
