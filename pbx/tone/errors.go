package tone

import "errors"

// ErrUnknownCountry is returned by PlanFor for a country with no tone plan.
var ErrUnknownCountry = errors.New("tone: unknown country")

// ErrBadSpec is returned by Spec.Validate for a tone that cannot be played.
var ErrBadSpec = errors.New("tone: bad spec")
