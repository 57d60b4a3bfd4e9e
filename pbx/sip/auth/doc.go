// Package auth is the SIP server's gatekeeper: HTTP digest authentication of
// requests (RFC 3261 §22 with the MD5 and SHA-256 algorithms of RFC 8760 and
// RFC 7616) with per-client nonces that expire, and a Guard that restricts
// requests to allowed networks and bans a source address after repeated
// failed attempts.
//
// Nothing here reads a clock or does I/O: the caller passes the time and the
// request's method, URI, header and source address.
package auth
