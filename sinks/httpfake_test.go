package sinks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

// alertBatch returns n distinct create alerts.
func alertBatch(n int) []Alert {
	out := make([]Alert, n)
	for i := range out {
		a := sampleAlert()
		a.Activity, a.Reason = ActivityCreate, ""
		a.SHA1 = fmt.Sprintf("%040x", i+1)
		a.ID = AlertID(a.TenantID, a.SHA1, a.EpisodeStart)
		out[i] = a
	}
	return out
}

// answer is one scripted reply of a fake service.
type answer struct {
	status     int
	retryAfter string
	body       string
}

// script is the replies a fake gives before it behaves: each request takes
// the next one, and is answered with it without storing anything.
type script struct {
	mu      sync.Mutex
	answers []answer
}

// next pops the next scripted answer.
func (s *script) next() (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.answers) == 0 {
		return answer{}, false
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, true
}

// add appends answers.
func (s *script) add(as ...answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, as...)
}

// reply writes a.
func (a answer) reply(w http.ResponseWriter) {
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	if a.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

// quiet is a logger for sinks under test: refusals are asserted, not read.
var quiet = slog.New(slog.DiscardHandler)

// store keeps what a fake accepted: the alert documents by alert id.
type store struct {
	mu       sync.Mutex
	docs     map[string][][]byte // alert id (or finding uid) -> documents received
	requests int
	headers  []http.Header
}

// keep records one accepted document; id names it.
func (s *store) keep(id string, doc []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = map[string][][]byte{}
	}
	s.docs[id] = append(s.docs[id], append([]byte(nil), doc...))
}

// request counts a request and keeps its header.
func (s *store) request(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.headers = append(s.headers, h.Clone())
}

// checkExactlyOnce fails t unless every alert was stored exactly once and
// nothing else was.
func (s *store) checkExactlyOnce(t *testing.T, alerts []Alert) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range alerts {
		if n := len(s.docs[a.ID]); n != 1 {
			t.Errorf("alert %s stored %d times, want once", a.ID, n)
		}
	}
	if len(s.docs) != len(alerts) {
		t.Errorf("stored %d distinct alerts, want %d", len(s.docs), len(alerts))
	}
}

// count returns how many documents were stored.
func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.docs {
		n += len(d)
	}
	return n
}

// alertID reads the alert id of a document in either form.
func alertID(t *testing.T, doc []byte) string {
	var a struct {
		ID          string `json:"id"`
		FindingInfo struct {
			UID string `json:"uid"`
		} `json:"finding_info"`
	}
	if err := json.Unmarshal(doc, &a); err != nil {
		t.Errorf("document %s: %v", doc, err)
	}
	if a.ID == "" {
		a.ID = a.FindingInfo.UID
	}
	if a.ID == "" {
		t.Errorf("document without an id: %s", doc)
	}
	return a.ID
}

// splitArray returns the elements of a JSON array.
func splitArray(t *testing.T, body []byte) []json.RawMessage {
	var docs []json.RawMessage
	if err := json.Unmarshal(body, &docs); err != nil {
		t.Errorf("body is not a JSON array: %v", err)
	}
	return docs
}

// splitLines returns the non-empty lines of body.
func splitLines(body []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	return out
}

// sleeps replaces a core's pauses: it records them and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func fastRetries(c *httpCore) *sleeps {
	s := &sleeps{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		s.mu.Lock()
		s.waits = append(s.waits, d)
		s.mu.Unlock()
		return ctx.Err()
	}
	return s
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// deadLetters returns a DeadLetterAlerts writing to a buffer, and a
// function reading back its lines.
func deadLetters(t *testing.T) (*DeadLetterAlerts, func() []refusedLine) {
	var mu sync.Mutex
	var buf bytes.Buffer
	d := NewDeadLetterAlerts(lockedWriter{&mu, &buf})
	return d, func() []refusedLine {
		mu.Lock()
		defer mu.Unlock()
		var out []refusedLine
		for _, l := range splitLines(buf.Bytes()) {
			var r refusedLine
			if err := json.Unmarshal(l, &r); err != nil {
				t.Fatalf("dead letter %s: %v", l, err)
			}
			out = append(out, r)
		}
		return out
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// retryAfterSeconds is a Retry-After value of d.
func retryAfterSeconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// hasWait reports whether waits holds d.
func hasWait(waits []time.Duration, d time.Duration) bool {
	for _, w := range waits {
		if w == d {
			return true
		}
	}
	return false
}

// publishConcurrently publishes batches from several goroutines at once.
func publishConcurrently(t *testing.T, s Sink, batches [][]Alert) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(batches))
	for _, b := range batches {
		wg.Go(func() { errs <- s.Publish(context.Background(), b) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("publish: %v", err)
		}
	}
}

// chunks cuts alerts into n batches.
func chunks(alerts []Alert, n int) [][]Alert {
	var out [][]Alert
	size := (len(alerts) + n - 1) / n
	for i := 0; i < len(alerts); i += size {
		out = append(out, alerts[i:min(i+size, len(alerts))])
	}
	return out
}
