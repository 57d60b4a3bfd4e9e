// Package sim is the simulated board: two-wire lines with a simulated analog
// phone on each, carried by a simulated PCM bus and paced by a simulated
// clock, so the whole PBX runs in CI with no hardware.
//
// The layering mirrors a real board. A Wire is the copper pair: the exchange
// side applies a linefeed (battery, polarity, ringing, on-hook transmission)
// and audio; the phone side closes or opens the loop and sends audio back.
// The phone (package hal/sim/phone) only ever sees the Wire. On the exchange
// side, an ideal line card (Line) turns the wire into a hal.Line; the
// register-level chip models slot in between the driver and the same Wire.
package sim
