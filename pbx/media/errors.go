package media

import "errors"

// Errors returned by Session.
var (
	ErrNoConn   = errors.New("media: no RTP connection")
	ErrNoClock  = errors.New("media: no clock (Config.Now)")
	ErrCodec    = errors.New("media: negotiated codec is not PCMU or PCMA")
	ErrNoEvents = errors.New("media: telephone-event was not negotiated")
	ErrClosed   = errors.New("media: session closed")
)
