// Package registrar keeps the location service of RFC 3261 §10: which
// contacts each SIP user has registered, until when, and whether they still
// answer OPTIONS. A user may register several devices at once; a call to the
// user rings them all.
//
// It applies REGISTER requests that the server has already authenticated,
// and is safe for concurrent use. Time is passed in.
package registrar
