// Package wire models the two-wire line between an exchange (a line card or a
// SLIC chip model) and a simulated phone: the linefeed the exchange applies,
// the loop the phone closes, and one frame of audio each way.
package wire
