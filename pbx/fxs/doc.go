// Package fxs is the analog line as the PBX sees it: one channel per FXS port
// that turns raw hook changes into telephony (pulse digits, hook flash,
// hang-up), detects DTMF on the line audio, plays the country's tones, rings
// with its cadence, sends caller ID and message-waiting FSK, and collects
// digits against the dial plan.
package fxs
