package board

// Built-in board definitions. Each is data: a new board revision is a diff
// of this table (or a board file with the same fields).

// sim4FXS is the simulated 4-port board: four Si3215 chip models, each on its
// own chip select, 16-bit linear audio in slots 0, 2, 4 and 6 of a
// 32-slot (2.048 MHz) PCM bus.
func sim4FXS() Definition {
	d := Definition{
		Name: "sim-4fxs", Kind: "sim",
		PCM: PCM{Slots: 32, Format: "linear"},
	}
	for i := range 4 {
		d.Chips = append(d.Chips, Chip{
			Part: "si3215", SPI: "SIM0." + string(rune('0'+i)),
			Reset: "SIM_RESET" + string(rune('0'+i)), IRQ: "SIM_INT" + string(rune('0'+i)),
			Ports: []Port{{Number: i + 1, Slot: 2 * i}},
		})
	}
	return d
}

// rpi2xSi3215 is the reference hardware board: a Raspberry Pi (3/4/5 class)
// with two Si3215 ProSLIC modules on SPI0 (CE0, CE1), a reset and an
// interrupt GPIO each, and the PCM bus on the Pi's PCM/I2S pins as a 2 × 16-bit
// DSP-A frame (BCLK 256 kHz, FS 8 kHz): port 1 in slots 0–1, port 2 in slots
// 2–3. Wiring: board/README.md.
func rpi2xSi3215() Definition {
	return Definition{
		Name: "rpi-2xsi3215", Kind: "hardware",
		PCM: PCM{Slots: 4, Format: "linear", Device: "hw:CARD=sndrpisimplecar,DEV=0"},
		Chips: []Chip{
			{Part: "si3215", SPI: "SPI0.0", Reset: "GPIO17", IRQ: "GPIO22", Ports: []Port{{Number: 1, Slot: 0}}},
			{Part: "si3215", SPI: "SPI0.1", Reset: "GPIO27", IRQ: "GPIO23", Ports: []Port{{Number: 2, Slot: 2}}},
		},
	}
}

// definitions is the one table of built-in boards.
func definitions() []Definition {
	return []Definition{sim4FXS(), sim8FXS(), rpi2xSi3215()}
}

// sim8FXS is the simulated 8-port board: four Si32260 dual-channel chip
// models in pairs, each pair daisy-chained on one chip select (channel ids
// 0–3), 16-bit linear audio in slots 0, 2, … 14.
func sim8FXS() Definition {
	d := Definition{Name: "sim-8fxs", Kind: "sim", PCM: PCM{Slots: 32, Format: "linear"}}
	for i := range 4 {
		d.Chips = append(d.Chips, Chip{
			Part: "si32260", SPI: "SIM1." + string(rune('0'+i/2)), Chain: i%2 + 1,
			Reset: "SIM_RESET" + string(rune('0'+i)), IRQ: "SIM_INT" + string(rune('0'+i)),
			Ports: []Port{{Number: 2*i + 1, Slot: 4 * i}, {Number: 2*i + 2, Slot: 4*i + 2}},
		})
	}
	return d
}
