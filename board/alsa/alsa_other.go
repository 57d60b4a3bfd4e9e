//go:build !linux

package alsa

import "errors"

// Stream is one direction of a PCM device (Linux only).
type Stream struct{}

// Open fails: ALSA is Linux's.
func Open(name string, capture bool, c Config) (*Stream, error) {
	return nil, errors.New("alsa: only on linux")
}

// Transfer fails.
func (s *Stream) Transfer(buf []byte) error { return errors.New("alsa: only on linux") }

// Xruns is 0.
func (s *Stream) Xruns() int { return 0 }

// Close does nothing.
func (s *Stream) Close() error { return nil }
