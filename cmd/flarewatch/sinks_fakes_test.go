package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"encoding/json"
)

// reply is one answer of a fake destination.
type reply struct {
	status     int
	retryAfter string
	body       string
}

// write sends r.
func (r reply) write(w http.ResponseWriter) {
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	if r.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

// destination is a fake HTTP alert destination: it answers its first
// delivery with a retryable failure, storing nothing, and then stores the
// documents of every request that passes its checks.
type destination struct {
	t     *testing.T
	name  string
	fail  reply                               // the answer to the first delivery
	ok    reply                               // the answer to a stored delivery
	check func(*http.Request) error           // headers the destination requires
	split func(body []byte) ([][]byte, error) // the alert documents of a body
	token http.HandlerFunc                    // serves /token when set

	mu         sync.Mutex
	deliveries int      // requests to the delivery path, the failed one included
	docs       [][]byte // what was stored, in arrival order
}

// start serves the destination on path and returns its base URL.
func (d *destination) start(path string) string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+path, d.deliver)
	if d.token != nil {
		mux.HandleFunc("POST /token", d.token)
	}
	srv := httptest.NewServer(mux)
	d.t.Cleanup(srv.Close)
	return srv.URL
}

// deliver answers one delivery.
func (d *destination) deliver(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	d.mu.Lock()
	d.deliveries++
	first := d.deliveries == 1
	d.mu.Unlock()
	if first {
		d.fail.write(w)
		return
	}
	if err == nil {
		err = d.check(r)
	}
	var docs [][]byte
	if err == nil {
		docs, err = d.split(body)
	}
	if err != nil {
		d.t.Errorf("%s: bad delivery: %v", d.name, err)
		reply{status: http.StatusBadRequest, body: `{"error":"bad delivery"}`}.write(w)
		return
	}
	d.mu.Lock()
	d.docs = append(d.docs, docs...)
	d.mu.Unlock()
	d.ok.write(w)
}

// stored returns the documents stored and how many deliveries came.
func (d *destination) stored() ([][]byte, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.docs...), d.deliveries
}

// requireHeaders returns a check that each header has its value.
func requireHeaders(want map[string]string) func(*http.Request) error {
	return func(r *http.Request) error {
		var errs []error
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				errs = append(errs, fmt.Errorf("header %s = %q, want %q", k, got, v))
			}
		}
		return errors.Join(errs...)
	}
}

// jsonArray splits a JSON array into its elements.
func jsonArray(body []byte) ([][]byte, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("body is not a JSON array: %w", err)
	}
	docs := make([][]byte, len(raw))
	for i, r := range raw {
		docs[i] = r
	}
	return docs, nil
}

// hecEvents splits a HEC body, concatenated event envelopes, into the
// events, checking each envelope's sourcetype.
func hecEvents(sourcetype string) func([]byte) ([][]byte, error) {
	return func(body []byte) ([][]byte, error) {
		dec := json.NewDecoder(bytes.NewReader(body))
		var docs [][]byte
		for dec.More() {
			var env struct {
				Time       json.Number     `json:"time"`
				SourceType string          `json:"sourcetype"`
				Event      json.RawMessage `json:"event"`
			}
			if err := dec.Decode(&env); err != nil {
				return nil, fmt.Errorf("event %d: %w", len(docs), err)
			}
			if env.SourceType != sourcetype || env.Time == "" {
				return nil, fmt.Errorf("event %d: sourcetype %q, time %q; want %q and a time",
					len(docs), env.SourceType, env.Time, sourcetype)
			}
			docs = append(docs, env.Event)
		}
		return docs, nil
	}
}

// azureToken answers a client-credentials token request for the given
// client with access token tok.
func azureToken(t *testing.T, clientID, secret, tok string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != secret {
			t.Errorf("token request: %v %v", err, r.PostForm)
			reply{status: http.StatusUnauthorized, body: `{"error":"invalid_client"}`}.write(w)
			return
		}
		reply{status: http.StatusOK,
			body: `{"access_token":"` + tok + `","token_type":"Bearer","expires_in":3600}`}.write(w)
	}
}
