// Package spisim is a simulated SPI port for simulated chips, behind
// periph.io's spi.PortCloser and spi.Conn. It delivers every chip-select
// frame (the bytes clocked while CS is asserted) to a Device, so a chip model
// sees exactly the framing a real chip would, and it can fail transactions
// on demand. Recorder captures transactions for golden traces.
package spisim
