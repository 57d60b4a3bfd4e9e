// Package dtmf detects and generates DTMF (dual-tone multi-frequency) digits
// on 8 kHz 16-bit linear audio in 20 ms frames.
//
// The Detector serves the FXS channel (digits dialled by analog phones) and
// apps; the Generator plays digits to an analog phone, for example when a SIP
// peer sends RFC 4733 events.
//
// # Levels
//
// Levels are in dBm0 on the 16-bit scale that G.711 decoders use (the 14-bit
// µ-law value shifted left by 2). ITU-T G.711 §5 puts the µ-law theoretical
// load capacity, the sine whose peak reaches the top decision value 8159
// (14-bit, Table 2/G.711), at +3.17 dBm0; so a 0 dBm0 sine has a peak of
// 4*8159*10^(-3.17/20) = 22657. The G.711 Table 6 digital milliwatt decodes
// to the same level within 0.01 dB (see TestZeroDBm0MatchesDigitalMilliwatt).
//
// # Detector design
//
// Q.24 asks for a frequency window that accepts ±1.5 % and rejects beyond
// ±3.5 %. A Goertzel magnitude alone cannot do that at any practical block
// length: with a 102-sample block (Asterisk) a 697 Hz tone 3.5 % off loses
// only 1.4 dB, less than any level uncertainty. So the detector estimates
// each tone's frequency from its phase instead:
//
//   - Each 2.5 ms sub-block (20 samples) is correlated with the eight DTMF
//     frequencies against an absolute phase reference, so sub-block results
//     add coherently into a sliding 120-sample (15 ms) DFT evaluated every
//     2.5 ms at the eight frequencies. 120 samples give a main lobe of
//     ±66.7 Hz, enough to separate adjacent rows (73 Hz apart; the
//     neighbour leaks at about -21 dB) while keeping the 40 ms timing.
//   - The phase advance of a bin between consecutive windows is the tone's
//     offset from nominal (pulse-pair estimator), unambiguous to ±200 Hz.
//     Averaged over the validation period it decides the ±2.5 % limit
//     (midway between Q.24's accept and reject limits), and it corrects
//     the window's known magnitude loss at that offset before the level and
//     twist checks.
//   - A window counts only when it is full: no 2.5 ms sub-block in it is
//     much weaker than the window mean. The first full window and the last
//     sub-block carrying the tone place its edges to one sub-block, which
//     decides the 40 ms rule (35 ms threshold: 40 ms accepted, 30 ms not).
//   - Tone levels for the level and twist limits come from solving a 2×2
//     system per window for both tones' complex amplitudes, so the strong
//     tone's sidelobe does not bias a weak tone (it would by ±0.7 dB at 8 dB
//     twist, and for keys whose tone spacing is near a multiple of the
//     400 Hz hop rate that bias would not average out).
//   - Talk-off: the two tones must carry at least 80 % of the window's
//     energy (this also covers a second-harmonic check: harmonics count as
//     non-DTMF energy), each tone must beat the other bins of its group by
//     6 dB, and the frequency check is averaged over the validation period.
//     Speech rarely holds two pure partials on DTMF frequencies for 35 ms;
//     on the espeak-ng fixtures the longest run of valid windows covers
//     about half of that.
//   - Once reported, a digit continues while the two half-windows (60
//     samples each, added in power) still show it, so a short interruption
//     that restarts the tones at another phase does not cancel the window;
//     it ends after 10 ms of failed windows, and its KeyUp carries the
//     measured duration.
//
// Cost: 3 to 4.5 µs per 20 ms frame on this project's 2-core Xeon (BenchmarkDetect).
//
// Standards: ITU-T Q.23 (frequencies), ITU-T Q.24 (receiver limits) as
// summarised in the project research brief §3.9.
package dtmf
