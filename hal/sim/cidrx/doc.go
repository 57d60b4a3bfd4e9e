// Package cidrx is the caller ID receiver inside the simulated analog phone:
// it demodulates on-hook FSK (Bell 202 or ITU-T V.23) from line audio, frames
// bytes 8N1, assembles SDMF and MDMF messages by their length byte, checks
// the checksum and parses caller ID and VMWI, and detects the dual-tone
// alerting signal (2130 + 2750 Hz) that precedes data in ETSI/BT markets.
//
// It is a test instrument, written independently of the PBX's encoder
// (pbx/callerid) and importing nothing from pbx: what it reports is what a
// real CID unit on the line would have heard.
package cidrx
