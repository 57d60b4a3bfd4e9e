package media

import (
	"fmt"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media/rtpevent"
)

// WriteFrame sends one 20 ms frame, or the telephone-event packet due in its
// place while a digit is being sent. Call it once per media tick, even on
// hold: it keeps the RTP clock running (RFC 3550 §5.1: the timestamp counts
// sampling instants whether or not packets are sent) and sends RTCP when due.
func (s *Session) WriteFrame(f *hal.Frame) error {
	tx := &s.tx
	m := s.media.Load()
	pe := s.peer.Load()
	tx.ticks++
	var err error
	if s.hasRTCP && tx.ticks >= tx.nextRTCP {
		err = s.sendReport(s.now())
		tx.nextRTCP = tx.ticks + s.randomInterval()
	}
	send := m.Direction.Sends() && pe.canSend()
	if tx.ev.Busy() {
		if tx.ev.Next(frame, &tx.evPkt) && send && m.Events {
			ev := &tx.evPkt
			tx.hdr.Marker = ev.Marker
			tx.hdr.PayloadType = m.SendEventPT
			tx.hdr.Timestamp = ev.Timestamp
			n, _ := ev.Payload.MarshalTo(tx.buf[headerSize:])
			err = firstErr(err, s.sendRTP(pe, headerSize+n, n))
		}
		tx.ts += frame
		tx.marker = true // the talkspurt after a digit starts with a marker (RFC 3551 §4.1)
		return err
	}
	if !send {
		tx.ts += frame
		tx.marker = true
		return err
	}
	tx.hdr.Marker = tx.marker
	tx.hdr.PayloadType = m.SendPT
	tx.hdr.Timestamp = tx.ts
	m.Codec.EncodeTo(tx.buf[headerSize:headerSize+frame], f[:])
	err = firstErr(err, s.sendRTP(pe, headerSize+frame, frame))
	tx.ts += frame
	tx.marker = false
	return err
}

// sendRTP stamps the sequence number, writes the header in front of the
// payload already in tx.buf and sends.
func (s *Session) sendRTP(pe *peer, size, payload int) error {
	tx := &s.tx
	tx.hdr.SequenceNumber = tx.seq
	if _, err := tx.hdr.MarshalTo(tx.buf[:headerSize]); err != nil {
		return fmt.Errorf("media: rtp header: %w", err)
	}
	tx.seq++
	tx.sentRTP = true
	if _, err := s.rtpIO.write(tx.buf[:size], pe.rtp, pe.rtpUA); err != nil {
		return fmt.Errorf("media: send rtp to %v: %w", pe.rtp, err)
	}
	// The counts are the tick's own; they are published for Stats every
	// few packets, since a locked add per packet stalls on the stores just
	// made (measured: a third of the send path with thousands of legs).
	tx.packets++
	tx.octets += uint64(payload)
	if tx.packets%publishEvery == 0 {
		s.publish()
	}
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// StartDigit begins sending a digit as RFC 4733 events; it lasts until
// StopDigit (an analog phone's DTMF detector reports both edges live). Audio is
// not sent meanwhile. Call from the media tick goroutine.
func (s *Session) StartDigit(ev rtpevent.Event) error {
	if !s.media.Load().Events {
		return ErrNoEvents
	}
	s.tx.ev.Start(ev, s.tx.ts, 0)
	s.txn.digits.Add(1)
	return nil
}

// StopDigit ends the digit begun by StartDigit (stretched to the 40 ms minimum).
func (s *Session) StopDigit() { s.tx.ev.Stop() }

// SendDigit sends a digit lasting d. Call from the media tick goroutine.
func (s *Session) SendDigit(ev rtpevent.Event, d time.Duration) error {
	if !s.media.Load().Events {
		return ErrNoEvents
	}
	s.tx.ev.Start(ev, s.tx.ts, d)
	s.txn.digits.Add(1)
	return nil
}

// SendingDigit reports whether a digit (its end packets included) is still
// going out, so a caller can queue the next one.
func (s *Session) SendingDigit() bool { return s.tx.ev.Busy() }
