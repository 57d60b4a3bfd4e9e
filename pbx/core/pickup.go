package core

// Call pickup: a party answers a call that alerts at another. A SIP phone
// does it with INVITE and Replaces naming the alerting dialog (RFC 3891
// §3, the busy-lamp field's ids); a directed-pickup feature code does it
// by extension number. Both end up in Engine.Pickup.

// Pickup answers call c, which alerts at its called party, at by instead:
// the called party stops alerting and leaves without a hang-up (a SIP
// phone gets CANCEL, an analog one stops ringing), the caller is told the
// call is answered, and it talks to by in the returned call. The caller of
// Pickup makes by a party of that call. A transfer's call picked up so
// reports answered to its transferor.
func (e *Engine) Pickup(c *Call, by Channel) (*Call, error) {
	if c == nil || c.eng != e || c.State != Alerting || c.B == nil || by == nil || c.side(by) >= 0 {
		return nil, ErrNotTransferable
	}
	return c.Replace(c.B, by)
}

// CallByID returns the call in progress with id, or nil.
func (e *Engine) CallByID(id uint64) *Call {
	for _, c := range e.calls {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// AlertingAt returns the oldest call that alerts at extension number (its
// called party is Identified as number, or was dialled as number), or nil:
// what a directed pickup of that extension answers.
func (e *Engine) AlertingAt(number string) *Call {
	for _, c := range e.calls {
		if c.State != Alerting || c.B == nil {
			continue
		}
		if c.partyOf(c.B).Number == number {
			return c
		}
	}
	return nil
}
