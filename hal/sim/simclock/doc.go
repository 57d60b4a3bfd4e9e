// Package simclock is the time of a simulated chip: it moves forward when the
// board's frame clock does and when the chip's driver sleeps, so power-up
// ramps, calibrations and cadence timers run on simulated time, never on
// the wall clock.
package simclock
