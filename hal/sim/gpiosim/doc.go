// Package gpiosim is a simulated GPIO pin for simulated chips: an output a
// chip model watches (reset) or an input a chip model drives (interrupt),
// behind periph.io's gpio.PinIO.
package gpiosim
