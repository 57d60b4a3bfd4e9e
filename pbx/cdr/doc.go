// Package cdr keeps the call log on disk: the detail record of every ended
// call (pbx/core Record, with each leg's RTP quality), so the log survives a
// restart or a power cut without filling a small flash data partition.
//
// The log is append-only JSON lines in one directory (DATA/cdr): cdr.jsonl,
// the file being written, and cdr.1.jsonl, the one before it. When the
// current file would pass half of Options.MaxBytes it is renamed over the
// previous one and a new one started, so the two never take more than
// MaxBytes and no file is ever rewritten. Each line is one record with a
// format version ("v":1); times are RFC 3339, media delays microseconds.
//
// Store.Add is the engine's sink: it files the record in the in-memory index
// and queues it for the writer goroutine without blocking; when the queue is
// full the record is counted as dropped (and logged by the writer) instead.
// The writer writes whatever has queued in one write and one fsync. Close
// flushes the queue, so a clean shutdown loses nothing.
//
// Open loads the newest Options.Recent records back. A line that cannot be
// read (a record torn by a power cut, garbage after a crash) is skipped and
// logged; a torn tail is cut off so the next record starts on a line of its
// own. Only a directory or file that cannot be opened at all is an error,
// and a daemon can carry on without the store.
package cdr
