// Package quality estimates a call leg's listening-and-talking quality with
// a simplified ITU-T G.107 E-model for G.711: the transmission rating R from
// one-way delay and (possibly bursty) packet loss, and the MOS that R maps to.
//
// What is simplified: every G.107 input other than delay and loss stays at its
// default (G.107 §7.7), under which R = 93.2 with no delay and no loss; echo is
// taken as controlled, so of the delay impairments only Idd (pure delay) is
// computed; the advantage factor A is 0. G.711's impairment factors are
// those of ITU-T G.113 Appendix I: Ie = 0, Bpl = 25.1 with packet loss
// concealment and 4.3 without.
package quality
