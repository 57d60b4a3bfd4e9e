// Package sip is the PBX's SIP side on sipgo: it listens on sip.listen (UDP
// and TCP), registers phones (digest authentication, several devices per
// user, OPTIONS qualify), keeps scanners and password guessers out, and
// makes each SIP call a B2BUA leg — a core.Channel — that the engine bridges
// to analog ports and to other legs.
//
// Calls: early media (a called phone's 183 with SDP reaches the caller, and
// a SIP caller gets a 183 with our answer), re-INVITE hold and resume (the
// held party hears the engine's hold music), REFER transfers with digest
// authentication and NOTIFY message/sipfrag progress (RFC 3515; a Replaces
// in Refer-To joins two of the phone's dialogs, RFC 3891), and INVITE with
// Replaces from another device of the same user, or of a ringing dialog
// the dialog package published (call pickup from a busy lamp field). After
// a transfer the party whose far end changed gets the new identity in
// P-Asserted-Identity (RFC 3325), by UPDATE or re-INVITE. Media:
// RTPOpts.Engine puts every leg on one shared, tick-batched port (media.Mux).
//
// Provider trunks: ListenProvider makes a second user agent on a socket of
// its own whose legs are these same legs, placed at and taken from one
// provider trusted by its address (provider.go); package trunk adds the
// registration, DID routing and caller presentation.
//
// Goroutines: sipgo runs each request in its own goroutine; a call leg has
// one goroutine for its signalling; the engine goroutine alone touches calls
// and media frames. They meet through Engine.Post and the leg's command queue.
package sip
