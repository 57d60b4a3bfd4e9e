// Package mediatest holds fakes for testing code that uses pbx/media: an
// in-memory packet connection whose deliveries are synchronous (Deliver
// returns only once the reader has finished with the packet), and a clock that
// moves only when told. With both, network impairments (loss, reordering,
// delay) are scripted by the test and nothing depends on wall-clock time.
package mediatest
