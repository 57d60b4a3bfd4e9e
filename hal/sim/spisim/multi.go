package spisim

// Chain is several devices on one chip select, as in a ProSLIC daisy chain:
// every device sees every frame (SDI passes through to SDITHRU) and only the
// device a frame addresses drives MISO.
type Chain []Device

// Frame passes the frame to every device.
func (c Chain) Frame(w, r []byte) {
	for _, d := range c {
		d.Frame(w, r)
	}
}
