package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiBase is the daemon's management API.
var apiBase = "http://127.0.0.1:8080"

var client = &http.Client{Timeout: 10 * time.Second}

// password is the unit's admin password for the API: --password,
// HOOKSWITCH_PASSWORD, or the provisioned secret when hsctl runs on the box.
var password string

// secretFile is where first boot stores the admin password.
const secretFile = "/data/secrets/admin-password"

func apiPassword() string {
	if password != "" {
		return password
	}
	if p := os.Getenv("HOOKSWITCH_PASSWORD"); p != "" {
		return p
	}
	if b, err := os.ReadFile(secretFile); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

// call sends a request to the daemon and returns the body of a 2xx answer,
// or an error that says what went wrong in words.
func call(method, path, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, apiBase+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p := apiPassword(); p != "" {
		req.SetBasicAuth("admin", p)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the daemon at %s (is hookswitch running? --api sets the address): %w", apiBase, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusUnauthorized {
		return nil, errors.New("the daemon wants the admin password: --password or HOOKSWITCH_PASSWORD")
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, errors.New(e.Error)
		}
		return nil, fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	return b, nil
}

func callJSON(method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	b, err := call(method, path, "application/json", body)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func runHealth(args []string) error {
	var h map[string]any
	if err := callJSON("GET", "/api/v1/health", nil, &h); err != nil {
		return err
	}
	return printJSON(h)
}

func printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
