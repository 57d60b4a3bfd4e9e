// Package chip holds the register-level chip models of the simulated board,
// one subpackage per SLIC family. A model is built from the datasheet facts
// independently of its driver (it shares no constants with it), sits on a
// simulated SPI chip select, a reset and an interrupt pin, the simulated PCM
// bus and the two-wire line to a simulated phone, and reacts as the chip
// does: reset values, indirect/RAM access, converter ramp, calibration,
// linefeed with readback, loop closure, ring trip, power alarms and
// interrupts, with faults that can be injected.
package chip
