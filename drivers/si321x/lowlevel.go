package si321x

import "fmt"

// Register access. A write is the frames [addr] [data] and a read [addr|0x80]
// then one frame clocking the value out (DAHDI __wctdm_setreg/__wctdm_getreg);
// in a daisy chain each transaction starts with the one-hot chip-select byte
// (ProSLIC API; bfsi.c). Chip select is released between every byte.

const readBit = 0x80

// maxIStatusPolls bounds the wait for I_STATUS to clear. DAHDI wctdm.c
// __wait_access polls up to 6000 times; on a 4 MHz bus that is well over
// 10 ms, far longer than an indirect access takes.
const maxIStatusPolls = 6000

func (d *Dev) readReg(r uint8) (byte, error) {
	var v byte
	var err error
	if d.chain >= 0 {
		v, err = d.x.Do3(1<<d.chain, r|readBit, 0)
	} else {
		v, err = d.x.Do2(r|readBit, 0)
	}
	if err != nil {
		return 0, fmt.Errorf("si321x: read reg %d: %w", r, err)
	}
	return v, nil
}

func (d *Dev) writeReg(r uint8, v byte) error {
	var err error
	if d.chain >= 0 {
		_, err = d.x.Do3(1<<d.chain, r&^readBit, v)
	} else {
		_, err = d.x.Do2(r&^readBit, v)
	}
	if err != nil {
		return fmt.Errorf("si321x: write reg %d: %w", r, err)
	}
	return nil
}

// irAddr translates a Si3210-numbered indirect address for this part.
func (d *Dev) irAddr(a IR) (uint8, error) {
	if !d.part.Is3215() {
		return uint8(a), nil
	}
	t, ok := translate3215(a)
	if !ok {
		return 0, fmt.Errorf("%w: IR %d on %s", ErrNoSuchIR, a, d.part)
	}
	return t, nil
}

// waitIndirect polls I_STATUS until the previous indirect access is done
// (fxs-brief §1.4: every indirect access starts with this wait).
func (d *Dev) waitIndirect() error {
	for range maxIStatusPolls {
		v, err := d.readReg(RegIStatus)
		if err != nil {
			return err
		}
		if v == 0 {
			return nil
		}
	}
	return ErrIndirectBusy
}

// writeIR writes an indirect register: wait, IDA lo, IDA hi, then the address
// to IAA, which starts the write.
func (d *Dev) writeIR(a IR, v uint16) error {
	ad, err := d.irAddr(a)
	if err != nil {
		return err
	}
	if err := d.waitIndirect(); err != nil {
		return fmt.Errorf("si321x: write IR %d: %w", a, err)
	}
	if err := d.writeReg(RegIDALo, byte(v)); err != nil {
		return err
	}
	if err := d.writeReg(RegIDAHi, byte(v>>8)); err != nil {
		return err
	}
	return d.writeReg(RegIAA, ad)
}

// readIR reads an indirect register: wait, address to IAA, wait, IDA lo, hi.
func (d *Dev) readIR(a IR) (uint16, error) {
	ad, err := d.irAddr(a)
	if err != nil {
		return 0, err
	}
	if err := d.waitIndirect(); err != nil {
		return 0, fmt.Errorf("si321x: read IR %d: %w", a, err)
	}
	if err := d.writeReg(RegIAA, ad); err != nil {
		return 0, err
	}
	if err := d.waitIndirect(); err != nil {
		return 0, fmt.Errorf("si321x: read IR %d: %w", a, err)
	}
	lo, err := d.readReg(RegIDALo)
	if err != nil {
		return 0, err
	}
	hi, err := d.readReg(RegIDAHi)
	if err != nil {
		return 0, err
	}
	return uint16(hi)<<8 | uint16(lo), nil
}

// ReadReg reads a direct register.
func (d *Dev) ReadReg(r uint8) (byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.readReg(r)
}

// WriteReg writes a direct register.
func (d *Dev) WriteReg(r uint8, v byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writeReg(r, v)
}

// ReadIR reads an indirect register (Si3210 numbering).
func (d *Dev) ReadIR(a IR) (uint16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.readIR(a)
}

// WriteIR writes an indirect register (Si3210 numbering).
func (d *Dev) WriteIR(a IR, v uint16) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writeIR(a, v)
}
