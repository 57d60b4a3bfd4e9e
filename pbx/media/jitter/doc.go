// Package jitter is the adaptive playout buffer for one received RTP audio
// stream: packets go in as they arrive, in any order and of any length, and
// the media tick takes out exactly one 20 ms frame at a time.
//
// The buffer is a fixed ring of samples indexed by RTP timestamp, with one
// validity bit per sample. Indexing by timestamp rather than by sequence number
// lets it play any packetisation (SIPp's stock PCMA capture uses 30 ms
// packets; phones may send 10, 20, 30 or 40 ms) and keeps sequence numbers for
// the loss statistics, which the RTP session keeps (RFC 3550 A.1, A.3).
//
// Delay adapts to the RFC 3550 A.8 interarrival jitter J: the target margin
// is 3·J (for Gaussian delay J ≈ 1.13σ, so 3·J ≈ 2.7σ of transit variation),
// raised after a late packet by how late it was and decaying again, kept
// between MinDelay and MaxDelay. The buffer grows by playing one extra
// concealment frame and shrinks by dropping one frame, preferring a quiet or
// empty one, at most once per 100 ms.
//
// Missing audio is concealed by repeating the last good frame with the fade of
// ITU-T G.711 Appendix I (full level for the first 10 ms of the erasure, then
// 20 % less per 10 ms, silent after 60 ms), and the first good frame after a
// gap is cross-faded in over 4 ms. The buffer resynchronises by itself on a
// timestamp jump; the session calls Reset on a new SSRC.
package jitter
