package slic

import (
	"time"

	"github.com/hookswitch/hookswitch/drivers/proslic"
)

// Status is a port's health for the management API and the installer.
type Status struct {
	Port      int                   `json:"port"`
	State     string                `json:"state"`            // in-service, out-of-service
	Reason    string                `json:"reason,omitempty"` // why it is out of service, or the last retry's failure
	Since     time.Time             `json:"since"`
	Chip      string                `json:"chip"` // part and revision
	Linefeed  string                `json:"linefeed"`
	Hook      string                `json:"hook"` // on, off (as last reported)
	IRQ       string                `json:"irq"`  // ok, stuck asserted, none
	Alarms    int                   `json:"alarms"`
	Faults    int                   `json:"faults"`
	Retries   int                   `json:"retries"`
	NextRetry *time.Time            `json:"next_retry,omitempty"`
	Measured  *proslic.Measurements `json:"measured,omitempty"` // where the chip measures its line
	Dropped   uint64                `json:"dropped_events,omitempty"`
}

// Status reports the port's health, measuring the line when the chip can
// and the port is in service.
func (l *Line) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{
		Port:     l.o.Port,
		State:    l.state.String(),
		Reason:   l.reason,
		Since:    l.since,
		Chip:     l.chip.String(),
		Linefeed: l.want.String(),
		Hook:     "on",
		IRQ:      irqNames[l.irq],
		Alarms:   l.alarms,
		Faults:   l.faults,
		Retries:  l.retries,
		Dropped:  l.dropped.Load(),
	}
	if l.hook {
		s.Hook = "off"
	}
	if l.state != InService {
		t := l.retryAt
		s.NextRetry = &t
		return s
	}
	if m, ok := l.chip.(Measurer); ok {
		if v, err := m.Measure(); err == nil {
			s.Measured = &v
		}
	}
	return s
}

// Chip returns the chip behind the line (for the installer's register tools).
func (l *Line) Chip() Chip { return l.chip }

// Locked runs fn with the line's lock held, so installer tools can talk to
// the chip without racing the interrupt service.
func (l *Line) Locked(fn func(Chip) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fn(l.chip)
}
