package subscription

import (
	"bytes"
	"encoding/xml"
	"strconv"
)

// Event packages served.
const (
	MessageSummary = "message-summary" // RFC 3842
	Dialog         = "dialog"          // RFC 4235
)

// Content types of the NOTIFY bodies.
const (
	MessageSummaryType = "application/simple-message-summary" // RFC 3842 §7
	DialogInfoType     = "application/dialog-info+xml"        // RFC 4235 §4.1
)

// Mailboxes is the voicemail store as message-waiting sees it. The
// voicemail app implements it; the PBX is told of changes separately.
type Mailboxes interface {
	// Summary counts the messages of ext's mailbox: new (unheard) and old.
	Summary(ext string) (newMsgs, oldMsgs int)
}

// Summary writes an application/simple-message-summary body (RFC 3842 §5.2):
// the status line, the account and the voice-message counts
// "new/old (urgent new/urgent old)".
func Summary(account string, newMsgs, oldMsgs int) []byte {
	var b bytes.Buffer
	b.WriteString("Messages-Waiting: ")
	if newMsgs > 0 {
		b.WriteString("yes\r\n")
	} else {
		b.WriteString("no\r\n")
	}
	if account != "" {
		b.WriteString("Message-Account: " + account + "\r\n")
	}
	b.WriteString("Voice-Message: " + strconv.Itoa(max(newMsgs, 0)) + "/" + strconv.Itoa(max(oldMsgs, 0)) + " (0/0)\r\n")
	return b.Bytes()
}

// DialogEntry is one dialog in a dialog-info document.
type DialogEntry struct {
	ID        string // unique within the document's entity
	State     string // RFC 4235 §3.7.1: trying, proceeding, early, confirmed, terminated
	Initiator bool   // direction: the watched extension placed the call
	Remote    string // the other party's URI
	Display   string // and display name
	Local     string // the watched extension's URI
	// CallID, LocalTag and RemoteTag identify the dialog from the watched
	// extension's side (RFC 4235 §4.1.2), so a watcher can name it in
	// Replaces (call pickup); empty when not published.
	CallID, LocalTag, RemoteTag string
}

// DialogInfo writes an application/dialog-info+xml document (RFC 4235 §4):
// the full state of entity's dialogs at a version.
func DialogInfo(entity string, version uint32, ds []DialogEntry) []byte {
	type identity struct {
		Display string `xml:"display,attr,omitempty"`
		URI     string `xml:",chardata"`
	}
	type party struct {
		Identity identity `xml:"identity"`
	}
	type dialog struct {
		ID        string `xml:"id,attr"`
		CallID    string `xml:"call-id,attr,omitempty"`
		LocalTag  string `xml:"local-tag,attr,omitempty"`
		RemoteTag string `xml:"remote-tag,attr,omitempty"`
		Direction string `xml:"direction,attr,omitempty"`
		State     string `xml:"state"`
		Local     *party `xml:"local,omitempty"`
		Remote    *party `xml:"remote,omitempty"`
	}
	doc := struct {
		XMLName xml.Name `xml:"urn:ietf:params:xml:ns:dialog-info dialog-info"`
		Version uint32   `xml:"version,attr"`
		State   string   `xml:"state,attr"`
		Entity  string   `xml:"entity,attr"`
		Dialogs []dialog `xml:"dialog"`
	}{Version: version, State: "full", Entity: entity}
	for _, d := range ds {
		x := dialog{ID: d.ID, CallID: d.CallID, LocalTag: d.LocalTag, RemoteTag: d.RemoteTag, State: d.State, Direction: "recipient"}
		if d.Initiator {
			x.Direction = "initiator"
		}
		if d.Local != "" {
			x.Local = &party{identity{URI: d.Local}}
		}
		if d.Remote != "" {
			x.Remote = &party{identity{Display: d.Display, URI: d.Remote}}
		}
		doc.Dialogs = append(doc.Dialogs, x)
	}
	out, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil // only plain strings go in: cannot fail
	}
	return append([]byte(xml.Header), append(out, '\n')...)
}
