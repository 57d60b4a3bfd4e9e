package proslic

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// MaxXfer is the longest ProSLIC transaction: chain select or control byte,
// address, data.
const MaxXfer = 3

// SPIMode is the mode both families need: clock idles high, data latched on
// the rising edge, MSB first (DAHDI wctdm.c bit-bang routines; fxs-brief §0.2).
const SPIMode = spi.Mode3

// Connect opens p for a ProSLIC: mode 3, 8-bit words, at most hz.
func Connect(p spi.Port, hz physic.Frequency) (spi.Conn, error) {
	c, err := p.Connect(hz, SPIMode, 8)
	if err != nil {
		return nil, fmt.Errorf("proslic: connect %s: %w", p, err)
	}
	return c, nil
}

// Xfer runs ProSLIC transactions on a spi.Conn. A transaction is 2 or 3 bytes
// and the chip wants chip select released between bytes (bfsi.c: "the SiLabs
// chip expects SPISEL to go high between 8 bit transfers"; DAHDI toggles CS
// per byte), so each byte is its own spi.Packet with KeepCS false: periph
// blips CS between packets. Buffers are owned and reused: no allocation.
type Xfer struct {
	conn spi.Conn
	bus  sync.Locker
	w, r [MaxXfer]byte
	p    [MaxXfer]spi.Packet
}

// NewXfer returns a transaction runner. bus serialises transactions of all
// chips sharing conn (a daisy chain); nil gives the Xfer its own lock.
func NewXfer(conn spi.Conn, bus sync.Locker) *Xfer {
	if bus == nil {
		bus = &sync.Mutex{}
	}
	x := &Xfer{conn: conn, bus: bus}
	for i := range x.p {
		x.p[i] = spi.Packet{W: x.w[i : i+1], R: x.r[i : i+1]}
	}
	return x
}

// do sends the bytes b (at most MaxXfer) as one transaction and returns the
// byte clocked out during the last frame.
func (x *Xfer) do(b []byte) (byte, error) {
	n := copy(x.w[:], b)
	x.bus.Lock()
	defer x.bus.Unlock()
	x.r = [MaxXfer]byte{}
	if err := x.conn.TxPackets(x.p[:n]); err != nil {
		return 0, fmt.Errorf("proslic: spi: %w", err)
	}
	return x.r[n-1], nil
}

// Do2 sends a two-byte transaction and returns the byte read in the last frame.
func (x *Xfer) Do2(a, b byte) (byte, error) {
	buf := [2]byte{a, b}
	return x.do(buf[:])
}

// Do3 sends a three-byte transaction and returns the byte read in the last frame.
func (x *Xfer) Do3(a, b, c byte) (byte, error) {
	buf := [3]byte{a, b, c}
	return x.do(buf[:])
}

// Conn returns the underlying connection.
func (x *Xfer) Conn() spi.Conn { return x.conn }
