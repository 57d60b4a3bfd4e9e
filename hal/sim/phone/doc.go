// Package phone is a simulated analog telephone: a test instrument that hangs
// on a simulated two-wire line and learns everything from the signals on it.
//
// It closes and opens the loop (off-hook, on-hook, flash, rotary pulses with
// real make/break timing), sends DTMF and recorded audio into its mouthpiece,
// detects ringing and measures its cadence from the line voltage, decodes
// caller ID and message-waiting FSK with its own receiver, recognises
// call-progress tones with its own ear, and records what its earpiece hears.
// It never reads PBX state. Time comes only from the frames it is stepped
// through, so tests run faster than real time.
package phone
