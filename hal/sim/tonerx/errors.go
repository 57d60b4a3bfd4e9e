package tonerx

import "errors"

// ErrUnknownCountry is returned by New for a country with no tone table.
var ErrUnknownCountry = errors.New("tonerx: unknown country")
