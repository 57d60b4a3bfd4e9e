package phone

import "errors"

var (
	// ErrOnHook is returned for an action that needs the handset lifted.
	ErrOnHook = errors.New("phone: on hook")
	// ErrBadDigit is returned for a digit the dial or keypad does not have.
	ErrBadDigit = errors.New("phone: no such digit")
)
