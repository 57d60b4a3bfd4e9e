// Package proslic holds what the Silicon Labs ProSLIC families (Si321x and
// Si3226x/Si3217x) truly share: the linefeed state codes, the 125 µs timer
// and oscillator-coefficient encodings, the one-byte-per-chip-select SPI
// transaction, and the shape of an interrupt report. Everything
// register-specific lives in the family's own driver package.
package proslic
