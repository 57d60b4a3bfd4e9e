package trunk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	pbxsip "github.com/hookswitch/hookswitch/pbx/sip"
)

// Registration retry after a failure, RFC 5626 §4.5: wait
// min(max-time, base-time·2^failures), drawn between 50 % and 100 % of it,
// with base-time 30 s (every flow failed) and max-time 1800 s.
const (
	retryBase = 30 * time.Second
	retryMax  = 1800 * time.Second
)

// regTimeout bounds one REGISTER transaction with its challenge.
const regTimeout = 2 * 64 * 500 * time.Millisecond

// minRefresh keeps a provider that grants a second or two from making us
// register in a busy loop.
const minRefresh = time.Second

func retryAfter(failures int) time.Duration {
	d := retryMax
	if failures < 16 {
		d = min(retryMax, retryBase<<failures)
	}
	return d/2 + rand.N(d/2+1)
}

// errTooBrief is the provider's 423 with the lifetime it wants (RFC 3261 §10.2.8).
type errTooBrief struct{ min time.Duration }

func (e errTooBrief) Error() string {
	return fmt.Sprintf("interval too brief, provider wants %v", e.min)
}

var errRefused = errors.New("trunk: registration refused")

// registerLoop keeps the account registered until the trunk stops, then
// removes the binding.
func (t *Trunk) registerLoop() {
	defer t.regDone.Done()
	contact := t.p.Contact()
	callID := sip.CallIDHeader(sip.GenerateTagN(24) + "@" + contact.Address.Host)
	r := regState{callID: callID, tag: sip.GenerateTagN(16), cseq: 1}
	expiry := t.o.Expiry
	failures := 0
	// The first REGISTER waits a moment for the listener to be in sipgo's
	// connection pool, so that it leaves from the trunk's own port.
	timer := time.NewTimer(100 * time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case <-t.stop:
			if t.registered.Load() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := t.register(ctx, &r, 0) // RFC 3261 §10.2.2: Expires 0 removes the binding
				cancel()
				t.registered.Store(false)
				t.log.Info("trunk: unregistered", "err", err)
			}
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), regTimeout)
		granted, err := t.register(ctx, &r, expiry)
		cancel()
		var brief errTooBrief
		switch {
		case err == nil:
			if !t.registered.Swap(true) || failures > 0 {
				t.log.Info("trunk: registered", "host", t.o.Host, "expires", granted)
			}
			failures = 0
			// Refresh at half the granted time: the binding never lapses
			// even if the refresh needs its retransmissions.
			timer.Reset(max(granted/2, minRefresh))
		case errors.As(err, &brief) && brief.min > expiry:
			expiry = brief.min
			timer.Reset(0)
		default:
			failures++
			t.registered.Store(false)
			wait := retryAfter(failures - 1)
			t.log.Warn("trunk: registration failed", "host", t.o.Host, "err", err, "retry", wait)
			timer.Reset(wait)
		}
	}
}

// regState is the registration's dialog-like state: one Call-ID and a
// rising CSeq across refreshes (RFC 3261 §10.2.4).
type regState struct {
	callID sip.CallIDHeader
	tag    string
	cseq   uint32
}

// register sends one REGISTER (answering a challenge) and returns the
// lifetime the provider granted.
func (t *Trunk) register(ctx context.Context, r *regState, expiry time.Duration) (time.Duration, error) {
	aor := sip.Uri{Scheme: "sip", User: pbxsip.SafeUser(t.o.Username), Host: t.domain}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: t.domain})
	req.SetDestination(t.o.Host)
	req.SetTransport("UDP")
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.tag)
	callID := r.callID
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	contact := t.p.Contact()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expiry/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", t.p.Allow()))
	r.cseq++
	cli := t.p.Client()
	res, err := cli.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("trunk: register: %w", err)
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: t.o.Username, Password: t.o.Password})
		r.cseq = req.CSeq().SeqNo + 1
		if err != nil {
			return 0, fmt.Errorf("trunk: register: %w", err)
		}
	}
	switch {
	case res.StatusCode == sip.StatusIntervalToBrief:
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
				return 0, errTooBrief{time.Duration(n) * time.Second}
			}
		}
		return 0, fmt.Errorf("%w: 423 without Min-Expires", errRefused)
	case res.StatusCode != sip.StatusOK:
		return 0, fmt.Errorf("%w: %d %s", errRefused, res.StatusCode, res.Reason)
	}
	return granted(res, contact.Address, expiry), nil
}

// granted reads the lifetime of our binding (contact ours) from a 200: its
// Contact's expires parameter, else the Expires header, else what we asked
// for (RFC 3261 §10.2.4).
func granted(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != ours.Host || c.Address.Port != ours.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
