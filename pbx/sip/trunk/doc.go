// Package trunk connects the PBX to a SIP provider: it registers the
// account (digest authentication, refreshed before it lapses), places
// outside calls dialled with the trunk's prefix, presenting the caller as
// the account wants (From, P-Preferred-Identity, Privacy), and takes the
// provider's calls to the account's numbers (DIDs) to extensions.
//
// The calls themselves are pbx/sip call legs, the phones' own, on a user
// agent of the trunk's (pbxsip.Provider): its own socket, as a PBX's
// "external profile" usually is, so the provider's traffic never meets the
// phones' registrar and digest checks, and only the provider's address may
// send it calls. The trunk contributes where its INVITEs go and how they
// present the caller, how an incoming number is routed, and the
// credentials that answer the provider's challenges.
package trunk
