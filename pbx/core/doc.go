// Package core is the PBX core: channels, calls and bridges, run by one
// engine goroutine that owns them all and is paced by the 20 ms audio clock.
//
// A channel is one endpoint of a call: an FXS port, a SIP dialog, or an app
// (voicemail, conference, prompt player). Every channel offers the same small
// surface — offer/indicate/hangup, one frame of audio in and out per tick,
// DTMF out — so the core does not care which kinds it bridges. Other
// goroutines (SIP transactions, the management API) never touch this state:
// they Post work to the engine.
package core
