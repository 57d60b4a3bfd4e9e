// Package si3226x drives the Silicon Labs ProSLIC Si3226x dual-channel
// SLIC/codec (Si32260/1/6…) over periph.io's spi.Conn and gpio interfaces.
//
// Sources (../../../shared/research/fxs-brief.md §2): the ProSLIC API
// si3226_intf.c (init, converter power-up, calibration, interrupts, hook
// status), its SPI transport for the Ralink reference design
// (proslic_spi_api.c: control byte with the bit-reversed channel id, RAM
// through registers 5–10), si3226_registers.h (register order, RAM
// addresses) and DAHDI's xpp card_fxs.c (type 6 = Si32260).
//
// Compared with the Si321x: one SPI transaction addresses a channel through
// a control byte; configuration lives in 29-bit RAM words reached through
// RAM address/data registers, some of them (≥ 1024) only after the
// user-mode unlock; interrupts clear when read; the hook bit is LCRRTP bit 1.
// The vendor's patch (PRAM) and board-specific converter tables are not
// part of this driver: Opts.Patch and Opts.RAM load them when supplied.
//
// A Device owns the SPI traffic of one chip; its two Channels are the
// lines. Everything is safe for concurrent use; no goroutines, no clock reads.
package si3226x
