// Package haltest is the conformance suite of hal.Board: what every board,
// simulated or real, must do for the PBX. TestBoard runs it against a board
// with a Controller at the far end of its lines: the simulated phones
// (Phones), or on hardware an operator following prompts (Operator, under
// the hardware build tag in board/).
package haltest
