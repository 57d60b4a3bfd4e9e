// Package slic turns one channel of a SLIC driver into a hal.Line: it maps
// linefeeds, turns interrupts into hook events stamped with the interrupt's
// time, and keeps the port healthy. Power alarms are answered by rewriting
// the linefeed, as DAHDI does; a port that alarms repeatedly, whose chip
// fails to initialise or stops answering is taken out of service (a Fault
// event with the reason), retried with exponential back-off and announced
// with Recovered when it works again. Other ports are never affected.
//
// The adapter runs no goroutine of its own on the simulated board: the chip
// model calls Interrupt when its interrupt line falls and the board calls
// Poll once per frame. On hardware, Run waits on the interrupt pin.
package slic
