// Package rtpevent carries DTMF digits as RFC 4733 telephone-events.
//
// Sender turns a digit (started and stopped live, as an analog phone's DTMF
// detector reports it, or with a fixed duration) into the packets RFC 4733
// asks for, one decision per 20 ms media tick. Receiver turns the redundant
// packets of a peer back into exactly one Begin and one End report per digit.
// Neither does I/O or reads a clock: the RTP session feeds them.
package rtpevent
