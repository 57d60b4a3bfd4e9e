// Package sip is the PBX's SIP side on sipgo: it listens on sip.listen (UDP
// and TCP), registers phones (digest authentication, several devices per
// user, OPTIONS qualify), keeps scanners and password guessers out, and
// makes each SIP call a B2BUA leg — a core.Channel — that the engine bridges
// to analog ports and to other legs.
//
// Goroutines: sipgo runs each request in its own goroutine; a call leg has
// one goroutine for its signalling; the engine goroutine alone touches calls
// and media frames. They meet through Engine.Post and the leg's command queue.
package sip
