// Package si3226x is a register-level model of the Silicon Labs ProSLIC
// Si3226x dual-channel SLIC for the simulated board.
//
// It reproduces: the control byte with its bit-reversed channel id and
// broadcast, registers per channel, 29-bit RAM through RAM_ADDR_HI/LO and
// RAM_DATA_B0..3 with RAMSTAT busy, the user-mode unlock sequence guarding RAM
// ≥ 1024, the ID register, calibration through CALR3 bit 7, the DC-DC
// converter driven by PD_DCDC with MADC_VBAT ramping towards VBATH_EXPECT,
// linefeed readback, loop closure (LCRRTP bit 1), ring trip with the return
// to forward active, power alarms that open the line, read-to-clear
// interrupt status with enables and one active-low INT pin for both
// channels, ring cadence timers, MADC line measurements, and PCM slots.
// It leaves out tones, FSK, DTMF, the DSP patch (PRAM writes are accepted
// and ignored) and impedance synthesis.
package si3226x
