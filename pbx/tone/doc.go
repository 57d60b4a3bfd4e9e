// Package tone is the PBX side of call-progress tones: per-country tone
// plans (dial, stutter, ringback, busy, congestion, call waiting, howler,
// confirmation, dial recall, special information), ring cadences, and a
// Player that synthesises a tone frame by frame for an FXS port.
//
// Values follow ITU-T E.180 Supplement 2 ("Various tones used in national
// networks", the ITU list Asterisk's indications.conf.sample cites as
// tones-0203.pdf) where it has them, and the national documents it defers
// to otherwise (BT SIN 350 for the UK, the North American Precise Tone Plan
// and Telcordia GR-506 for the US). Each table row cites its source; where
// Asterisk's sample differs, the row says so.
//
// Levels are dBm0 per component, with 0 dBm0 defined by ITU-T G.711 (see
// Ref0dBm0Peak). Every progress tone has a total power of -13 dBm0: a
// single-frequency tone at -13 dBm0, a dual tone at -16 dBm0 per component.
// That is the Precise Tone Plan's dial-tone neighbourhood; the quieter
// network levels of that plan (ringback -19, busy -24 dBm0) assume trunk
// loss that an FXS port at the end of the loss plan does not have. The
// howler is louder on purpose (-3 dBm0 total, see howlerLevel).
//
// The simulated phone's tone recogniser (hal/sim/tonerx) deliberately does
// not use this package: it is an independent instrument with its own
// transcription of the same standards.
package tone
