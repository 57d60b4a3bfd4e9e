// Package sdp does the SDP offer/answer (RFC 3264) for one SIP call leg's
// audio: it builds our offer, answers a remote offer, reads the remote answer
// to our offer, and says what was agreed: the G.711 law, the payload types to
// send and receive, RFC 4733 telephone-events, the remote RTP and RTCP
// addresses, rtcp-mux and the direction each way.
//
// It knows PCMU, PCMA and telephone-event only, and RTP/AVP. The SIP layer
// answers 488 Not Acceptable Here for errors that match ErrNotAcceptable.
// SDP text is parsed and written by github.com/pion/sdp/v3.
package sdp
