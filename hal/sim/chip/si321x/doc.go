// Package si321x is a register-level model of the Silicon Labs ProSLIC
// Si3210/Si3215/Si3216 for the simulated board.
//
// What it reproduces (fxs-brief §7 checklist): reset values (reg 8 = 0x02,
// reg 11 = 0x33, reg 64 = 0), part and revision in regs 0/1/6, indirect
// registers through IDA/IAA with I_STATUS busy after every access and the
// Si3215's shifted map, the DC-DC converter's battery ramp in reg 82 after
// reg 14 = 0 and its decay when off (faster on a leaky line), automatic
// calibration (reg 96) and DC-DC calibration (reg 93 bit 7) that clear when
// done, linefeed readback in reg 64 bits 6:4, loop closure from the phone's
// hook switch, ring trip while ringing (with the automatic return to active
// when reg 67 AORD is set), power alarms that drop the linefeed to open when
// AOPN is set, write-1-to-clear interrupt status with masks and an active-low
// interrupt pin, the ring cadence timers, the line sense registers, digital
// loopback, mute and gain, and the PCM slots (µ-law, A-law, 16-bit linear)
// between the PCM bus and the line.
//
// What it leaves out: the tone and FSK oscillators, the Si3210 DTMF
// decoder, pulse metering, manual calibration comparators and debounce
// delays (loop changes are reported at the instant they happen).
//
// Faults: an absent chip (reads 0xFF or 0x00), calibrations that never
// complete, a converter that never reaches voltage, a leaky line, power
// alarms once or on every linefeed write, a stuck interrupt line. Bus errors
// are injected on the simulated SPI connection (spisim.Conn.Fail).
package si321x
