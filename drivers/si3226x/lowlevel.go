package si3226x

import (
	"fmt"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// Register access: [control] [address] [data], chip select released after
// each byte (proslic_spi_api.c sends each byte on its own; the per-byte rule
// is assumed as for the Si321x [verify in the Si3226x SPI timing]). A read
// clocks the value out in the third frame.

// maxRAMPolls bounds the RAMSTAT wait; the access takes a few µs, so a
// thousand SPI reads is far beyond a healthy chip.
const maxRAMPolls = 1000

type bus struct {
	x *proslic.Xfer
}

func (b *bus) readReg(ch uint8, r uint8) (byte, error) {
	v, err := b.x.Do3(ctlRead|ctlReg|cid(ch), r, 0)
	if err != nil {
		return 0, fmt.Errorf("si3226x: channel %d: read reg %d: %w", ch, r, err)
	}
	return v, nil
}

func (b *bus) writeReg(ch uint8, r, v uint8) error {
	if _, err := b.x.Do3(ctlReg|cid(ch), r, v); err != nil {
		return fmt.Errorf("si3226x: channel %d: write reg %d: %w", ch, r, err)
	}
	return nil
}

func (b *bus) broadcast(r, v uint8) error {
	if _, err := b.x.Do3(ctlBroadcast|ctlReg, r, v); err != nil {
		return fmt.Errorf("si3226x: broadcast reg %d: %w", r, err)
	}
	return nil
}

func (b *bus) waitRAM(ch uint8) error {
	for range maxRAMPolls {
		v, err := b.readReg(ch, RegRAMStat)
		if err != nil {
			return err
		}
		if v&RAMBusy == 0 {
			return nil
		}
	}
	return fmt.Errorf("%w: channel %d", ErrRAMBusy, ch)
}

// writeRAM writes a 29-bit RAM word: wait, address high bits, the four data
// bytes (value shifted left 3), then the low address byte, which starts the
// write (fxs-brief §2.1).
func (b *bus) writeRAM(ch uint8, a uint16, v uint32) error {
	if err := b.waitRAM(ch); err != nil {
		return err
	}
	w := [...][2]uint8{
		{RegRAMAddrHi, uint8(a>>3) & 0xE0},
		{RegRAMData0, uint8(v<<3) & 0xFF}, {RegRAMData1, uint8(v >> 5)},
		{RegRAMData2, uint8(v >> 13)}, {RegRAMData3, uint8(v >> 21)},
		{RegRAMAddrLo, uint8(a)},
	}
	for _, x := range w {
		if err := b.writeReg(ch, x[0], x[1]); err != nil {
			return fmt.Errorf("RAM %d: %w", a, err)
		}
	}
	return nil
}

// readRAM reads a RAM word: wait, address high, address low (starts the
// read), wait, the four data bytes.
func (b *bus) readRAM(ch uint8, a uint16) (uint32, error) {
	if err := b.waitRAM(ch); err != nil {
		return 0, err
	}
	if err := b.writeReg(ch, RegRAMAddrHi, uint8(a>>3)&0xE0); err != nil {
		return 0, err
	}
	if err := b.writeReg(ch, RegRAMAddrLo, uint8(a)); err != nil {
		return 0, err
	}
	if err := b.waitRAM(ch); err != nil {
		return 0, err
	}
	var d [4]byte
	for i := range d {
		v, err := b.readReg(ch, RegRAMData0+uint8(i))
		if err != nil {
			return 0, err
		}
		d[i] = v
	}
	return uint32(d[0])>>3 | uint32(d[1])<<5 | uint32(d[2])<<13 | uint32(d[3])<<21, nil
}

// setUserMode turns user mode on or off: the unlock sequence 2, 8, 0x0E, 0
// to reg 126 toggles it, and bit 0 reads 1 while it is on (API setUserMode).
func (b *bus) setUserMode(ch uint8, on bool) error {
	v, err := b.readReg(ch, RegUserMode)
	if err != nil {
		return err
	}
	if (v&1 != 0) == on {
		return nil
	}
	for _, s := range [...]uint8{2, 8, 0x0E, 0} {
		if err := b.writeReg(ch, RegUserMode, s); err != nil {
			return err
		}
	}
	if v, err = b.readReg(ch, RegUserMode); err != nil {
		return err
	}
	if (v&1 != 0) != on {
		return fmt.Errorf("%w: channel %d reg 126 = %#02x", ErrUserMode, ch, v)
	}
	return nil
}

// signed29 sign-extends a 29-bit RAM value (bit 28 is the sign; the API
// ORs 0xF0000000 into MADC_VBAT when bit 28 is set).
func signed29(v uint32) int32 {
	if v&0x10000000 != 0 {
		v |= 0xF0000000
	}
	return int32(v)
}
