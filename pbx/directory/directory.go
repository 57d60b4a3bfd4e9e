// Package directory knows the users of the PBX and which channels reach
// them: it turns a dialled extension into the endpoint to offer the call to.
package directory

import (
	"fmt"

	"github.com/hookswitch/hookswitch/pbx/core"
	"github.com/hookswitch/hookswitch/pbx/dialplan"
)

// User is one extension.
type User struct {
	Ext      string
	Name     string
	Port     int    // FXS port, 0 for none
	Password string // SIP account password; empty for none

	NoCallWaiting bool // a second call during a call gets busy
}

// SIP reports whether the user is a SIP account.
func (u User) SIP() bool { return u.Password != "" }

// Endpoint makes a new channel for each call to an extension: a SIP user
// gets a fresh B2BUA leg per call, which rings all of the user's devices.
type Endpoint func(ext string) (core.Channel, error)

// Directory maps extensions to users and users to their channels. It is
// built before the engine runs; after that it is only read, so any
// goroutine may use it.
type Directory struct {
	users     []User
	channels  map[string]core.Channel // by extension
	endpoints map[string]Endpoint     // by extension
}

var _ core.Router = (*Directory)(nil)

// New returns a directory of users.
func New(users []User) *Directory {
	return &Directory{users: users, channels: map[string]core.Channel{}, endpoints: map[string]Endpoint{}}
}

// User returns the user of an extension.
func (d *Directory) User(ext string) (User, bool) {
	for _, u := range d.users {
		if u.Ext == ext {
			return u, true
		}
	}
	return User{}, false
}

// SIPUser returns a SIP account's password and name; ok is false for an
// unknown extension or one that is not a SIP account.
func (d *Directory) SIPUser(ext string) (password, name string, ok bool) {
	u, found := d.User(ext)
	if !found || !u.SIP() {
		return "", "", false
	}
	return u.Password, u.Name, true
}

// SIPUsers returns the users that are SIP accounts.
func (d *Directory) SIPUsers() []User {
	var out []User
	for _, u := range d.users {
		if u.SIP() {
			out = append(out, u)
		}
	}
	return out
}

// BindEndpoint makes e the source of channels for extension ext, for the
// users reached through a new channel per call (SIP accounts).
func (d *Directory) BindEndpoint(ext string, e Endpoint) { d.endpoints[ext] = e }

// Users returns every user.
func (d *Directory) Users() []User { return d.users }

// ByPort returns the user on an FXS port.
func (d *Directory) ByPort(port int) (User, bool) {
	for _, u := range d.users {
		if u.Port == port && port > 0 {
			return u, true
		}
	}
	return User{}, false
}

// Bind makes ch the endpoint of extension ext.
func (d *Directory) Bind(ext string, ch core.Channel) { d.channels[ext] = ch }

// Entries returns the dial-plan entries for every extension.
func (d *Directory) Entries() []dialplan.Entry {
	var out []dialplan.Entry
	for i, u := range d.users {
		out = append(out, dialplan.Entry{Pattern: u.Ext, Kind: dialplan.Extension, Target: u.Ext,
			Source: fmt.Sprintf("users[%d]", i)})
	}
	return out
}

// Route returns the channel of the extension an entry names.
func (d *Directory) Route(e dialplan.Entry) (core.Channel, error) {
	if e.Kind != dialplan.Extension {
		return nil, fmt.Errorf("%w: %s %s", core.ErrNoRoute, e.Kind, e.Target)
	}
	if ch, ok := d.channels[e.Target]; ok {
		return ch, nil
	}
	if ep, ok := d.endpoints[e.Target]; ok {
		ch, err := ep(e.Target)
		if err != nil {
			return nil, fmt.Errorf("%w: extension %s: %w", core.ErrNoRoute, e.Target, err)
		}
		return ch, nil
	}
	return nil, fmt.Errorf("%w: extension %s has no device", core.ErrNoRoute, e.Target)
}
