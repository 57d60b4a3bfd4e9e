// Package wav reads and writes the one WAV format the simulated board
// speaks: 8 kHz, 16-bit, mono PCM (RIFF/WAVE, "fmt " chunk format 1).
package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is returned for a WAV file in any other format.
var ErrFormat = errors.New("wav: want 8 kHz 16-bit mono PCM")

// Encode writes samples as a WAV file.
func Encode(w io.Writer, samples []int16) error {
	n := uint32(len(samples) * 2)
	var h [44]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+n)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 16000)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], n)
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, samples)
}

// Decode reads a WAV file's samples.
func Decode(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrFormat)
	}
	r := bytes.NewReader(b[12:])
	var fmtOK bool
	for {
		var id [4]byte
		var size uint32
		if err := binary.Read(r, binary.LittleEndian, &id); err != nil {
			return nil, fmt.Errorf("%w: no data chunk", ErrFormat)
		}
		if err := binary.Read(r, binary.LittleEndian, &size); err != nil {
			return nil, fmt.Errorf("%w: truncated chunk", ErrFormat)
		}
		if int64(size) > int64(r.Len()) {
			size = uint32(r.Len()) // tolerate a streamed file's unset size
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("%w: truncated chunk", ErrFormat)
		}
		if size%2 == 1 {
			_, _ = r.ReadByte()
		}
		switch string(id[:]) {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrFormat)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			ch := binary.LittleEndian.Uint16(body[2:])
			rate := binary.LittleEndian.Uint32(body[4:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || ch != 1 || rate != 8000 || bits != 16 {
				return nil, fmt.Errorf("%w: got format %d, %d channels, %d Hz, %d bits", ErrFormat, format, ch, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, fmt.Errorf("%w: data before fmt", ErrFormat)
			}
			s := make([]int16, len(body)/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return s, nil
		}
	}
}
