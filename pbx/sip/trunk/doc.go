// Package trunk connects the PBX to a SIP provider: it registers the
// account (digest authentication, refreshed before it lapses), places
// outside calls dialled with the trunk's prefix, and takes the provider's
// calls to the account's numbers (DIDs) to extensions.
//
// A trunk is its own user agent on its own socket, as a PBX's "external
// profile" usually is: the provider's traffic never meets the phones'
// registrar and digest checks, and only the provider's address may send it
// calls. Each call is a core.Channel whose media is a pbx/sip Media (RTP
// with pbx/media).
package trunk
