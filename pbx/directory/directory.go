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
	Ext  string
	Name string
	Port int // FXS port, 0 for none

	NoCallWaiting bool // a second call during a call gets busy
}

// Directory maps extensions to users and users to their channels.
type Directory struct {
	users    []User
	channels map[string]core.Channel // by extension
}

var _ core.Router = (*Directory)(nil)

// New returns a directory of users.
func New(users []User) *Directory {
	return &Directory{users: users, channels: map[string]core.Channel{}}
}

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
	ch, ok := d.channels[e.Target]
	if !ok {
		return nil, fmt.Errorf("%w: extension %s has no device", core.ErrNoRoute, e.Target)
	}
	return ch, nil
}
