package subscription

import (
	"errors"
	"sync"
	"time"
)

// Subscription lifetimes.
const (
	// DefaultExpires is the duration when a SUBSCRIBE names none: an hour
	// for both packages (RFC 3842 §3.4, RFC 4235 §3.4).
	DefaultExpires = time.Hour
	// MinExpires is the shortest subscription accepted; a shorter request
	// is refused 423 with Min-Expires (RFC 6665 §4.2.1.1). A minute keeps a
	// phone from refreshing a few times a second.
	MinExpires = time.Minute
	// MaxExpires caps the duration granted, so a phone that vanished is
	// forgotten within the hour.
	MaxExpires = time.Hour
)

// Lifetime decides a subscription's duration from the Expires a SUBSCRIBE
// asked for (negative: none given). Zero is an unsubscribe. tooBrief means
// the request is refused 423 Interval Too Brief.
func Lifetime(asked int) (d time.Duration, tooBrief bool) {
	switch {
	case asked < 0:
		return DefaultExpires, false
	case asked == 0:
		return 0, false
	}
	d = time.Duration(asked) * time.Second
	if d < MinExpires {
		return 0, true
	}
	return min(d, MaxExpires), false
}

// Entry is one subscription. V is the notifier's own state: the SIP dialog.
type Entry[V any] struct {
	Key      string // the dialog: Call-ID and tags
	Event    string // MessageSummary or Dialog
	Resource string // the extension watched
	User     string // the authenticated subscriber
	Expires  time.Time
	V        V
}

// Limits bound the table, so a registered but hostile phone cannot grow it
// without end.
type Limits struct {
	Total   int // default 4096
	PerUser int // default 256 (a busy-lamp-field console watches many)
}

// ErrTooMany is returned by Put past a limit.
var ErrTooMany = errors.New("subscription: too many subscriptions")

// Table holds the subscriptions. It is safe for concurrent use.
type Table[V any] struct {
	lim  Limits
	mu   sync.Mutex
	subs map[string]*Entry[V]
}

// NewTable returns an empty table.
func NewTable[V any](lim Limits) *Table[V] {
	if lim.Total <= 0 {
		lim.Total = 4096
	}
	if lim.PerUser <= 0 {
		lim.PerUser = 256
	}
	return &Table[V]{lim: lim, subs: map[string]*Entry[V]{}}
}

// Put adds a subscription, or replaces the one with the same key.
func (t *Table[V]) Put(e Entry[V]) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[e.Key]; !ok {
		if len(t.subs) >= t.lim.Total {
			return ErrTooMany
		}
		n := 0
		for _, s := range t.subs {
			if s.User == e.User {
				n++
			}
		}
		if n >= t.lim.PerUser {
			return ErrTooMany
		}
	}
	t.subs[e.Key] = &e
	return nil
}

// Get returns the subscription of a dialog.
func (t *Table[V]) Get(key string) (Entry[V], bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.subs[key]; ok {
		return *s, true
	}
	return Entry[V]{}, false
}

// Refresh sets a subscription's expiry; false when there is none.
func (t *Table[V]) Refresh(key string, expires time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.subs[key]
	if ok {
		s.Expires = expires
	}
	return ok
}

// Remove ends a subscription and returns it.
func (t *Table[V]) Remove(key string) (Entry[V], bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.subs[key]
	if !ok {
		return Entry[V]{}, false
	}
	delete(t.subs, key)
	return *s, true
}

// Watching returns the subscriptions to event for resource.
func (t *Table[V]) Watching(event, resource string) []Entry[V] {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Entry[V]
	for _, s := range t.subs {
		if s.Event == event && s.Resource == resource {
			out = append(out, *s)
		}
	}
	return out
}

// Expire removes and returns the subscriptions whose time is up at now.
func (t *Table[V]) Expire(now time.Time) []Entry[V] {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Entry[V]
	for k, s := range t.subs {
		if !now.Before(s.Expires) {
			out = append(out, *s)
			delete(t.subs, k)
		}
	}
	return out
}

// Len is the number of subscriptions.
func (t *Table[V]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs)
}
