// Package tonerx is the simulated analog phone's ear for call-progress
// tones: it listens to the audio the exchange sends down the line and says
// which tone it hears (dial tone, stutter, ringback, busy, congestion, call
// waiting, howler, confirmation, dial recall, special information), or
// silence, or voice, and keeps a history of what it heard and when.
//
// It is a test instrument, so it is independent of the PBX: it never
// imports pbx, and its tone tables (tables.go) are its own transcription
// of the standards, with the tolerances a receiver needs.
//
// How it listens. Every 10 ms it looks at the last 40 ms of audio: the
// energy, and single-bin DFTs (Goertzel filters) at every frequency the
// country's tones use. A least-squares fit of each of the country's
// frequency sets ("signatures") to the window says how much of the energy
// that set explains; a set that explains at least 85 % of it, with every
// member present, is what sounds. Quiet is silence; energy that no set
// explains (speech, music, a 1 kHz test tone, another country's tone) is
// voice. The stream of labels becomes on/off segments with onset and
// offset times refined to the sample, and the segments are matched against
// each tone's cadence with ±20 % (+25 ms) tolerance. Every tone whose cadence
// is still consistent stays a candidate; a tone is reported only when it is
// the one candidate left and has shown enough of itself (one complete
// burst, or for a continuous tone more than the longest burst any other
// tone of the same frequencies has). Its Start is then back-dated to the
// onset of its first burst: German dial tone is certain only after 1.2 s of
// 425 Hz, but its Start is the moment it began.
package tonerx
