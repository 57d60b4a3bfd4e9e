package dtmf

import "errors"

// Sentinel errors; test with errors.Is.
var (
	ErrInvalidDigit    = errors.New("dtmf: invalid digit")
	ErrInvalidDuration = errors.New("dtmf: invalid duration")
	ErrQueueFull       = errors.New("dtmf: generator queue full")
	ErrInvalidLevel    = errors.New("dtmf: invalid level")
)
