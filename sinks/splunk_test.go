package sinks

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHEC behaves as Splunk's HTTP Event Collector documents: events are
// concatenated JSON objects, each with an event field; the answer is
// {"text":"Success","code":0}; a bad token is 403 code 4; an event HEC
// cannot read is 400 code 6 with its invalid-event-number, the events
// before it having been taken. With indexer acknowledgement (a channel
// header) the answer carries an ackId, reported indexed on the second poll.
type fakeHEC struct {
	script
	store
	t        *testing.T
	rejectID string // the alert id HEC finds invalid, if any
	neverAck bool   // no ackId is ever reported indexed
	events   []map[string]any

	mu    sync.Mutex
	acks  map[int64]int // ackId -> polls so far
	ackID int64
}

func (f *fakeHEC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.request(r.Header)
	body, _ := io.ReadAll(r.Body)
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		answer{status: 401, body: `{"text":"Token is required","code":2}`}.reply(w)
		return
	case auth != "Splunk 00000000-aaaa-bbbb-cccc-000000000000":
		answer{status: 403, body: `{"text":"Invalid token","code":4}`}.reply(w)
		return
	}
	if r.URL.Path == "/services/collector/ack" {
		f.ack(w, r, body)
		return
	}
	if r.URL.Path != "/services/collector/event" {
		answer{status: 404, body: `{"text":"The requested URL was not found on this server.","code":404}`}.reply(w)
		return
	}
	if a, ok := f.next(); ok {
		a.reply(w)
		return
	}

	dec := stdjson.NewDecoder(strings.NewReader(string(body)))
	for n := 0; dec.More(); n++ {
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			f.invalid(w, n)
			return
		}
		raw, _ := stdjson.Marshal(ev["event"])
		id := alertID(f.t, raw)
		if _, ok := ev["event"]; !ok || id == f.rejectID {
			f.invalid(w, n)
			return
		}
		f.mu.Lock()
		f.events = append(f.events, ev)
		f.mu.Unlock()
		f.keep(id, raw)
	}
	if r.Header.Get("X-Splunk-Request-Channel") == "" {
		answer{status: 200, body: `{"text":"Success","code":0}`}.reply(w)
		return
	}
	f.mu.Lock()
	f.ackID++
	id := f.ackID
	if f.acks == nil {
		f.acks = map[int64]int{}
	}
	f.acks[id] = 0
	f.mu.Unlock()
	answer{status: 200, body: fmt.Sprintf(`{"text":"Success","code":0,"ackId":%d}`, id)}.reply(w)
}

// invalid answers 400 code 6 naming event n.
func (f *fakeHEC) invalid(w http.ResponseWriter, n int) {
	answer{status: 400,
		body: fmt.Sprintf(`{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, n)}.reply(w)
}

// ack answers a poll: an ackId is indexed from its second poll on.
func (f *fakeHEC) ack(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.URL.Query().Get("channel") == "" || r.Header.Get("X-Splunk-Request-Channel") == "" {
		answer{status: 400, body: `{"text":"Data channel is missing","code":10}`}.reply(w)
		return
	}
	var req struct {
		Acks []int64 `json:"acks"`
	}
	_ = stdjson.Unmarshal(body, &req)
	f.mu.Lock()
	out := map[string]bool{}
	for _, id := range req.Acks {
		polls, ok := f.acks[id]
		out[strconv.FormatInt(id, 10)] = ok && polls >= 1 && !f.neverAck
		f.acks[id] = polls + 1
	}
	f.mu.Unlock()
	b, _ := stdjson.Marshal(map[string]any{"acks": out})
	answer{status: 200, body: string(b)}.reply(w)
}

func newHEC(t *testing.T, cfg SplunkHECConfig) (*SplunkHECSink, *fakeHEC, *sleeps) {
	t.Helper()
	fake := &fakeHEC{t: t}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL
	if cfg.Token == "" {
		cfg.Token = "00000000-aaaa-bbbb-cccc-000000000000"
	}
	cfg.Log = quiet
	s, err := NewSplunkHECSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake, fastRetries(s.core)
}

func TestSplunkHECEvents(t *testing.T) {
	s, fake, _ := newHEC(t, SplunkHECConfig{Host: "fw-1", Index: "security"})
	alerts := alertBatch(3)
	alerts[0].EmittedAt = time.Date(2025, 1, 15, 9, 41, 30, 123456789, time.UTC)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	fake.checkExactlyOnce(t, alerts)
	if fake.requests != 1 {
		t.Errorf("%d requests, want the batch in one", fake.requests)
	}
	ev := fake.events[0]
	want := map[string]any{"time": 1736934090.123, "host": "fw-1", "source": "flarewatch",
		"sourcetype": "flarewatch:alert", "index": "security"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event %s = %v, want %v", k, ev[k], v)
		}
	}
	raw, _ := stdjson.Marshal(ev["event"])
	if err := ValidateAlert(raw); err != nil {
		t.Errorf("event field: %v", err)
	}
	if h := fake.headers[0]; h.Get("X-Splunk-Request-Channel") != "" {
		t.Errorf("channel header without a channel configured")
	}

	// The OCSF form has its own sourcetype.
	s2, fake2, _ := newHEC(t, SplunkHECConfig{Form: FormOCSF})
	if err := s2.Publish(context.Background(), alerts[:1]); err != nil {
		t.Fatal(err)
	}
	if st := fake2.events[0]["sourcetype"]; st != "flarewatch:ocsf" {
		t.Errorf("ocsf sourcetype %v", st)
	}
	if _, ok := fake2.events[0]["index"]; ok {
		t.Error("index sent though none is configured")
	}
}

func TestSplunkHECServerBusy(t *testing.T) {
	s, fake, waits := newHEC(t, SplunkHECConfig{})
	fake.add(answer{status: 503, retryAfter: "5", body: `{"text":"Server is busy","code":9}`})
	alerts := alertBatch(4)
	publishConcurrently(t, s, [][]Alert{alerts[:2], alerts[2:]})
	fake.checkExactlyOnce(t, alerts)
	if !hasWait(waits.all(), 5*time.Second) {
		t.Errorf("waits %v: Retry-After 5 not honoured", waits.all())
	}
}

func TestSplunkHECRefusals(t *testing.T) {
	t.Run("invalid token", func(t *testing.T) {
		dead, letters := deadLetters(t)
		s, fake, _ := newHEC(t, SplunkHECConfig{Token: "wrong", DeadLetters: dead})
		if err := s.Publish(context.Background(), alertBatch(2)); err != nil {
			t.Fatal(err)
		}
		got := letters()
		if len(got) != 2 || got[0].Status != 403 || !strings.Contains(got[0].Reason, "Invalid token") {
			t.Errorf("dead letters %+v", got)
		}
		if fake.requests != 1 || s.Stats().DeadLettered != 2 {
			t.Errorf("%d requests, stats %+v", fake.requests, s.Stats())
		}
	})

	t.Run("invalid event in the middle", func(t *testing.T) {
		dead, letters := deadLetters(t)
		s, fake, _ := newHEC(t, SplunkHECConfig{DeadLetters: dead})
		alerts := alertBatch(5)
		fake.rejectID = alerts[2].ID
		if err := s.Publish(context.Background(), alerts); err != nil {
			t.Fatal(err)
		}
		got := letters()
		if len(got) != 1 || got[0].Alert.ID != alerts[2].ID || got[0].Status != 400 {
			t.Fatalf("dead letters %+v, want alert 2 alone", got)
		}
		fake.checkExactlyOnce(t, append(append([]Alert{}, alerts[:2]...), alerts[3:]...))
		if st := s.Stats(); st.Delivered != 4 || st.DeadLettered != 1 || fake.requests != 2 {
			t.Errorf("stats %+v after %d requests", st, fake.requests)
		}
	})

	t.Run("invalid data format without an event number", func(t *testing.T) {
		dead, letters := deadLetters(t)
		s, fake, _ := newHEC(t, SplunkHECConfig{DeadLetters: dead})
		fake.add(answer{status: 400, body: `{"text":"Invalid data format","code":6}`})
		if err := s.Publish(context.Background(), alertBatch(3)); err != nil {
			t.Fatal(err)
		}
		if len(letters()) != 3 || fake.count() != 0 {
			t.Errorf("%d dead letters, %d stored", len(letters()), fake.count())
		}
	})
}

func TestSplunkHECIndexerAck(t *testing.T) {
	s, fake, waits := newHEC(t, SplunkHECConfig{Channel: "8c7b6a5e-0000-4000-8000-000000000001"})
	alerts := alertBatch(3)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	fake.checkExactlyOnce(t, alerts)
	// One send, then a poll that says not yet, a pause, a poll that says indexed.
	if fake.requests != 3 || len(waits.all()) != 1 {
		t.Errorf("%d requests, waits %v", fake.requests, waits.all())
	}
	if h := fake.headers[0].Get("X-Splunk-Request-Channel"); h != "8c7b6a5e-0000-4000-8000-000000000001" {
		t.Errorf("channel header %q", h)
	}

	// An ack that never comes exhausts the budget: the caller retries.
	s2, fake2, _ := newHEC(t, SplunkHECConfig{Channel: "c", Retry: Retry{Budget: 10 * time.Second}})
	fake2.neverAck = true
	now := time.Unix(0, 0)
	s2.core.now = func() time.Time { return now }
	s2.core.sleep = func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
	if err := s2.Publish(context.Background(), alerts[:1]); !errors.Is(err, ErrRetryBudget) {
		t.Errorf("got %v, want ErrRetryBudget", err)
	}
	if s2.Stats().Delivered != 0 {
		t.Errorf("an unacknowledged event counts as delivered")
	}
}

func TestSplunkHECConfigErrors(t *testing.T) {
	for _, cfg := range []SplunkHECConfig{
		{URL: "http://x"}, {URL: "x", Token: "t"}, {URL: "http://x", Token: "t", Form: "cef"},
	} {
		if _, err := NewSplunkHECSink(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestSplunkHECEventGolden pins one HEC event; the file is the sample in
// docs/alerts.md.
func TestSplunkHECEventGolden(t *testing.T) {
	s, err := NewSplunkHECSink(SplunkHECConfig{URL: "https://splunk.example.com:8088", Token: "t",
		Host: "flarewatch-0", Index: "security"})
	if err != nil {
		t.Fatal(err)
	}
	a := sampleAlert()
	b, err := s.encode(&a)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "hec-event.golden.json", b)
}
