package sinks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fakeWebhook is a receiver that takes a JSON array or NDJSON of alerts,
// checks the bearer token, and answers 202. Scripted answers come first,
// before anything is stored.
type fakeWebhook struct {
	script
	store
	t *testing.T
}

func (f *fakeWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.request(r.Header)
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		answer{status: http.StatusUnauthorized}.reply(w)
		return
	}
	if a, ok := f.next(); ok {
		a.reply(w)
		return
	}
	var docs [][]byte
	if r.Header.Get("Content-Type") == "application/x-ndjson" {
		docs = splitLines(body)
	} else {
		for _, d := range splitArray(f.t, body) {
			docs = append(docs, d)
		}
	}
	for _, d := range docs {
		f.keep(alertID(f.t, d), d)
	}
	w.WriteHeader(http.StatusAccepted)
}

func newWebhook(t *testing.T, cfg WebhookConfig) (*WebhookSink, *fakeWebhook, *sleeps) {
	t.Helper()
	fake := &fakeWebhook{t: t}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/hooks/flarewatch"
	cfg.Log = quiet
	if cfg.AuthHeader == "" {
		cfg.AuthHeader, cfg.AuthValue = "Authorization", "Bearer s3cret"
	}
	s, err := NewWebhookSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake, fastRetries(s.core)
}

func TestWebhookRetriesExactlyOnce(t *testing.T) {
	for _, tt := range []struct {
		name     string
		first    answer
		wantWait time.Duration
	}{
		{"503", answer{status: 503}, 0},
		{"429 with Retry-After", answer{status: 429, retryAfter: "7"}, 7 * time.Second},
		{"408", answer{status: 408}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, fake, waits := newWebhook(t, WebhookConfig{})
			fake.add(tt.first)
			alerts := alertBatch(5)
			if err := s.Publish(context.Background(), alerts); err != nil {
				t.Fatal(err)
			}
			fake.checkExactlyOnce(t, alerts)
			if fake.requests != 2 {
				t.Errorf("%d requests, want 2", fake.requests)
			}
			if w := waits.all(); len(w) != 1 || (tt.wantWait > 0 && w[0] != tt.wantWait) {
				t.Errorf("waits %v, want one of %v", w, tt.wantWait)
			}
			st := s.Stats()
			if st.Delivered != 5 || st.Retries != 1 || st.Requests != 2 || st.DeadLettered != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestWebhookPermanentRefusal(t *testing.T) {
	dead, letters := deadLetters(t)
	s, fake, _ := newWebhook(t, WebhookConfig{DeadLetters: dead})
	fake.add(answer{status: 400, body: `{"error":"schema mismatch"}`})
	alerts := alertBatch(3)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatalf("a permanent refusal must not fail the batch: %v", err)
	}
	if fake.count() != 0 || fake.requests != 1 {
		t.Errorf("stored %d after %d requests; a 400 is not retried", fake.count(), fake.requests)
	}
	got := letters()
	if len(got) != 3 {
		t.Fatalf("%d dead letters, want 3", len(got))
	}
	for i, l := range got {
		if l.Sink != "webhook" || l.Status != 400 || l.Alert == nil || l.Alert.ID != alerts[i].ID ||
			l.Reason == "" || l.RefusedAt.IsZero() {
			t.Errorf("dead letter %d: %+v", i, l)
		}
	}
	if st := s.Stats(); st.DeadLettered != 3 || st.Delivered != 0 {
		t.Errorf("stats %+v", st)
	}

	// Without a dead-letter writer the refusal is the caller's.
	s2, fake2, _ := newWebhook(t, WebhookConfig{})
	fake2.add(answer{status: 422})
	err := s2.Publish(context.Background(), alerts)
	var se *StatusError
	if !errors.Is(err, ErrRefused) || !errors.As(err, &se) || se.Status != 422 {
		t.Errorf("got %v, want a 422 StatusError wrapping ErrRefused", err)
	}
}

func TestWebhookRetryBudget(t *testing.T) {
	s, fake, _ := newWebhook(t, WebhookConfig{Retry: Retry{Initial: time.Second, Budget: 10 * time.Second}})
	now := time.Unix(0, 0)
	s.core.now = func() time.Time { return now }
	s.core.sleep = func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil }
	for range 100 {
		fake.add(answer{status: 503})
	}
	err := s.Publish(context.Background(), alertBatch(2))
	if !errors.Is(err, ErrRetryBudget) || errors.Is(err, ErrRefused) {
		t.Fatalf("got %v, want ErrRetryBudget", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("error %v does not carry the last answer", err)
	}
	if fake.requests < 3 || fake.requests > 6 {
		t.Errorf("%d requests within a 10 s budget from 1 s doubling", fake.requests)
	}

	// A Retry-After beyond the budget gives up at once.
	s2, fake2, waits := newWebhook(t, WebhookConfig{Retry: Retry{Budget: time.Minute}})
	fake2.add(answer{status: 429, retryAfter: "3600"})
	if err := s2.Publish(context.Background(), alertBatch(1)); !errors.Is(err, ErrRetryBudget) {
		t.Errorf("got %v, want ErrRetryBudget", err)
	}
	if fake2.requests != 1 || len(waits.all()) != 0 {
		t.Errorf("%d requests, waits %v", fake2.requests, waits.all())
	}
}

// TestWebhookHonoursRetryAfter waits for real: the second attempt comes no
// sooner than the Retry-After the receiver asked for.
func TestWebhookHonoursRetryAfter(t *testing.T) {
	fake := &fakeWebhook{t: t}
	var first, second time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.IsZero() {
			first = time.Now()
		} else {
			second = time.Now()
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s, err := NewWebhookSink(WebhookConfig{URL: srv.URL, AuthHeader: "Authorization",
		AuthValue: "Bearer s3cret", Retry: Retry{Initial: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	fake.add(answer{status: 429, retryAfter: "1"})
	alerts := alertBatch(2)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	if gap := second.Sub(first); gap < time.Second {
		t.Errorf("retried after %v, Retry-After asked for 1s", gap)
	}
	fake.checkExactlyOnce(t, alerts)
}

func TestWebhookRequests(t *testing.T) {
	s, fake, _ := newWebhook(t, WebhookConfig{NDJSON: true, MaxBatch: 1, Form: FormOCSF})
	alerts := alertBatch(3)
	alerts[1].Activity = ActivityUpdate
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	if fake.requests != 3 {
		t.Fatalf("%d requests, want one per alert", fake.requests)
	}
	for i, h := range fake.headers {
		if got, want := h.Get("Idempotency-Key"), DeliveryKey(&alerts[i]); got != want {
			t.Errorf("request %d: Idempotency-Key %q, want %q", i, got, want)
		}
		if h.Get("Content-Type") != "application/x-ndjson" || h.Get("User-Agent") != "flarewatch" {
			t.Errorf("request %d: header %v", i, h)
		}
	}
	fake.checkExactlyOnce(t, alerts)

	// A batch in one request has one key, the same when sent again.
	s2, fake2, _ := newWebhook(t, WebhookConfig{})
	for range 2 {
		if err := s2.Publish(context.Background(), alerts); err != nil {
			t.Fatal(err)
		}
	}
	k1, k2 := fake2.headers[0].Get("Idempotency-Key"), fake2.headers[1].Get("Idempotency-Key")
	if k1 == "" || k1 != k2 || k1 == DeliveryKey(&alerts[0]) {
		t.Errorf("batch keys %q and %q", k1, k2)
	}
}

func TestWebhookContract(t *testing.T) {
	s, fake, _ := newWebhook(t, WebhookConfig{MaxBytes: 4 << 10})
	if err := s.Publish(context.Background(), nil); err != nil || fake.requests != 0 {
		t.Errorf("empty batch: %v after %d requests", err, fake.requests)
	}

	// Batches from many workers at once, each split by MaxBytes.
	alerts := alertBatch(40)
	publishConcurrently(t, s, chunks(alerts, 8))
	fake.checkExactlyOnce(t, alerts)
	if fake.requests <= 8 {
		t.Errorf("%d requests: MaxBytes did not split the batches", fake.requests)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Publish(ctx, alerts[:1]); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), alerts[:1]); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	for _, cfg := range []WebhookConfig{
		{URL: ""}, {URL: "ftp://x"}, {URL: "/relative"}, {URL: "http://x", Form: "cef"},
	} {
		if _, err := NewWebhookSink(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
