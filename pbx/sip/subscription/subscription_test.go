package subscription

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		acct    string
		nw, old int
		want    string
	}{
		{"sip:100@pbx", 2, 8, "Messages-Waiting: yes\r\nMessage-Account: sip:100@pbx\r\nVoice-Message: 2/8 (0/0)\r\n"},
		{"sip:100@pbx", 0, 3, "Messages-Waiting: no\r\nMessage-Account: sip:100@pbx\r\nVoice-Message: 0/3 (0/0)\r\n"},
		{"", 0, 0, "Messages-Waiting: no\r\nVoice-Message: 0/0 (0/0)\r\n"},
		{"", -1, -5, "Messages-Waiting: no\r\nVoice-Message: 0/0 (0/0)\r\n"},
	} {
		if got := string(Summary(tc.acct, tc.nw, tc.old)); got != tc.want {
			t.Errorf("Summary(%q, %d, %d) = %q, want %q", tc.acct, tc.nw, tc.old, got, tc.want)
		}
	}
}

func TestDialogInfo(t *testing.T) {
	body := DialogInfo("sip:100@pbx", 7, []DialogEntry{
		{ID: "call-3", State: "early", Remote: "sip:200@pbx", Display: `Carol <"Desk"> & co`, Local: "sip:100@pbx"},
		{ID: "call-4", State: "confirmed", Initiator: true, Remote: "sip:300@pbx"},
	})
	var doc struct {
		XMLName xml.Name
		Version string `xml:"version,attr"`
		State   string `xml:"state,attr"`
		Entity  string `xml:"entity,attr"`
		Dialogs []struct {
			ID        string `xml:"id,attr"`
			Direction string `xml:"direction,attr"`
			State     string `xml:"state"`
			Remote    struct {
				Identity struct {
					Display string `xml:"display,attr"`
					URI     string `xml:",chardata"`
				} `xml:"identity"`
			} `xml:"remote"`
		} `xml:"dialog"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if doc.XMLName.Space != "urn:ietf:params:xml:ns:dialog-info" || doc.XMLName.Local != "dialog-info" {
		t.Errorf("root %v", doc.XMLName)
	}
	if doc.Version != "7" || doc.State != "full" || doc.Entity != "sip:100@pbx" || len(doc.Dialogs) != 2 {
		t.Fatalf("document %+v", doc)
	}
	d := doc.Dialogs[0]
	if d.ID != "call-3" || d.Direction != "recipient" || d.State != "early" ||
		d.Remote.Identity.URI != "sip:200@pbx" || d.Remote.Identity.Display != `Carol <"Desk"> & co` {
		t.Errorf("dialog 0 %+v", d)
	}
	if d := doc.Dialogs[1]; d.Direction != "initiator" || d.State != "confirmed" {
		t.Errorf("dialog 1 %+v", d)
	}
	if idle := string(DialogInfo("sip:101@pbx", 0, nil)); strings.Contains(idle, "<dialog ") {
		t.Errorf("idle document has a dialog: %s", idle)
	}
}

func TestLifetime(t *testing.T) {
	for _, tc := range []struct {
		asked    int
		want     time.Duration
		tooBrief bool
	}{
		{-1, DefaultExpires, false},
		{0, 0, false},
		{30, 0, true},
		{60, time.Minute, false},
		{600, 10 * time.Minute, false},
		{86400, MaxExpires, false},
	} {
		d, brief := Lifetime(tc.asked)
		if d != tc.want || brief != tc.tooBrief {
			t.Errorf("Lifetime(%d) = %v, %v; want %v, %v", tc.asked, d, brief, tc.want, tc.tooBrief)
		}
	}
}

func TestTable(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tb := NewTable[int](Limits{Total: 3, PerUser: 2})
	for i, e := range []Entry[int]{
		{Key: "a", Event: Dialog, Resource: "100", User: "200", Expires: t0.Add(time.Minute), V: 1},
		{Key: "b", Event: Dialog, Resource: "100", User: "200", Expires: t0.Add(time.Hour), V: 2},
		{Key: "c", Event: MessageSummary, Resource: "201", User: "201", Expires: t0.Add(time.Hour), V: 3},
	} {
		if err := tb.Put(e); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	if err := tb.Put(Entry[int]{Key: "d", User: "200"}); !errors.Is(err, ErrTooMany) {
		t.Errorf("third subscription of one user: %v, want ErrTooMany", err)
	}
	if err := tb.Put(Entry[int]{Key: "e", User: "202"}); !errors.Is(err, ErrTooMany) {
		t.Errorf("past the total: %v, want ErrTooMany", err)
	}
	if err := tb.Put(Entry[int]{Key: "a", Event: Dialog, Resource: "100", User: "200", Expires: t0.Add(time.Minute), V: 9}); err != nil {
		t.Errorf("replacing a subscription: %v", err)
	}
	if w := tb.Watching(Dialog, "100"); len(w) != 2 {
		t.Errorf("watching 100: %d, want 2", len(w))
	}
	if w := tb.Watching(MessageSummary, "100"); len(w) != 0 {
		t.Errorf("message-summary of 100: %d, want 0", len(w))
	}
	if !tb.Refresh("b", t0.Add(30*time.Second)) || tb.Refresh("zz", t0) {
		t.Error("Refresh")
	}
	gone := tb.Expire(t0.Add(time.Minute))
	if len(gone) != 2 || tb.Len() != 1 {
		t.Errorf("expired %d, left %d; want 2, 1", len(gone), tb.Len())
	}
	if e, ok := tb.Remove("c"); !ok || e.V != 3 || tb.Len() != 0 {
		t.Errorf("Remove: %+v %v", e, ok)
	}
}
