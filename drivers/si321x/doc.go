// Package si321x drives the Silicon Labs ProSLIC Si3210/Si3215/Si3216
// single-channel SLIC/codec with integrated DC-DC converter control, over
// periph.io's spi.Conn and gpio interfaces only.
//
// Sources (see ../../../shared/research/fxs-brief.md §1): the Si3210/11
// datasheet (register map, linefeed Table 23), Silicon Labs AN35 (power-up
// and calibration steps 8–21) as carried out by the ProSLIC API
// (si321x_intf.c) and DAHDI wctdm.c (wctdm_init_proslic, indirect register
// table, power-alarm handling). The driver speaks Si3210 register and
// indirect-register numbering and translates indirect addresses for the
// Si3215/16, whose map is shifted and lacks the DTMF and pulse-metering blocks.
//
// A Dev is safe for concurrent use; it starts no goroutines and never reads
// the clock: waits go through the Sleeper it is given and timeouts are counts
// of polls at a fixed interval.
package si321x
