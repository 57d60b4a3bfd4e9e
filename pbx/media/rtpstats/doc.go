// Package rtpstats keeps the per-source receive bookkeeping of RFC 3550:
// sequence-number validation with probation and restart detection (A.1), and
// the cumulative and interval loss figures that receiver reports carry (A.3).
// It also counts loss bursts, from which the E-model's burst ratio follows.
package rtpstats
