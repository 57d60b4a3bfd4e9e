// Package g711 converts 20 ms frames between 16-bit linear PCM and G.711
// µ-law (PCMU) or A-law (PCMA), and transcodes between the two laws.
//
// The companding itself is github.com/zaf/g711's per-sample functions (ITU-T
// G.711 Tables 1a/1b and 2a/2b). Its slice API allocates a new slice per call,
// so it is not used; encoding goes through 65536-entry tables built once from
// the library's own per-sample encoder, which is about three times faster than
// calling it per sample and allocates nothing.
package g711
