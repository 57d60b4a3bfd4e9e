// Package pcm is a simulated TDM PCM highway: an 8 kHz frame sync with a
// number of 8-bit time slots, carrying one 20 ms tick (160 frames) at a time
// from the host to the chips (DRX) and back (DTX). Chips find their slots by
// their start counts in PCLK cycles after FSYNC, exactly as they are
// programmed, so a driver that programs the wrong slot or coding is heard.
package pcm
