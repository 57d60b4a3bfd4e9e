// Package callerid is the exchange side of on-hook caller ID and visual
// message-waiting indication (VMWI): it encodes SDMF and MDMF messages
// (Telcordia GR-30-CORE, ETSI EN 300 659-3) and streams them as
// phase-continuous 1200 baud FSK (Bell 202 or ITU-T V.23) in 20 ms frames,
// plus the dual-tone alerting signal that precedes data in ETSI/BT markets.
//
// The package knows nothing of lines or chips: the FXS channel decides when
// to send (after the first ring, or after a line reversal and DT-AS) and
// puts the line in on-hook transmission while the burst plays.
package callerid
