// Package board knows wiring: which boards exist, what is on them, and how to
// open one. It is the only package that opens hardware (periph.io host,
// spireg, gpioreg) or builds the simulated board.
//
// Boards are data (Definition): built-in ones in builtin.go, others from a
// YAML board file. A "sim" board is built from register-level chip models
// driven by the real drivers; a "hardware" board opens the chips through
// periph.io on the target.
package board
