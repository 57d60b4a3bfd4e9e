// Package core is the PBX core: channels, calls and bridges, run by one
// engine goroutine that owns them all and is paced by the 20 ms audio clock.
//
// A channel is one endpoint of a call: an FXS port, a SIP dialog, or an app
// (voicemail, conference, prompt player). Every channel offers the same small
// surface — offer/indicate/hangup, one frame of audio in and out per tick,
// DTMF out — so the core does not care which kinds it bridges. Other
// goroutines (SIP transactions, the management API) never touch this state:
// they Post work to the engine.
//
// Transfers join the remote parties of calls without the channels knowing
// each other: Engine.Transfer (blind: the party across from the transferor
// is offered to a number), Engine.Join (attended: the parties across two
// calls continue in one; semi-attended while the second still alerts) and
// Call.Replace (RFC 3891: a channel takes another's place). Each makes a
// new call and tells the channels with Channel.Transferred, so no one hears
// a hang-up. The engine plays what a channel cannot: hold music to a held
// party, ringback to a caller a transfer moved while the target alerts.
// A transfer whose target is busy, unknown, unreachable or does not answer
// within the transfer recall time rings the transferor back with the
// transferee (WithTransferRecall). Engine.Pickup answers a ringing call
// from another channel (SIP Replaces of an early dialog; a pickup code).
//
// Every call keeps a Record (times, cause, the transfers that made or ended
// it, each leg's RTP quality from MediaReporter channels); the engine keeps
// the records of recently ended calls (Engine.Recent) and hands each to its
// Sink (pbx/cdr keeps them on disk).
package core
