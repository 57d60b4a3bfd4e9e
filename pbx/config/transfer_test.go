package config

import (
	"strings"
	"testing"
	"time"
)

func TestTransferRecall(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want time.Duration
	}{
		{"country: us\n", 30 * time.Second},
		{"transfer_recall: 45s\n", 45 * time.Second},
		{"transfer_recall: 0s\n", 30 * time.Second}, // zero keeps the default, as every duration here
	} {
		c, err := Parse("x.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(c.TransferRecall); got != tc.want {
			t.Errorf("%q: transfer_recall %v, want %v", tc.yaml, got, tc.want)
		}
	}
	if got := time.Duration(Default().TransferRecall); got != 30*time.Second {
		t.Errorf("default %v", got)
	}
	_, err := Parse("bad.yaml", []byte("country: us\ntransfer_recall: soon\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2") || !strings.Contains(err.Error(), "not a duration") {
		t.Errorf("error %v", err)
	}
}
