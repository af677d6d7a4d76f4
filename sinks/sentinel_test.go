package sinks

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAzure plays Azure AD's token endpoint and the Logs Ingestion API as
// they document: client credentials in the form body give a bearer token;
// the API takes a JSON array of at most 1 MB (413 beyond), answers 204,
// 401 to a token it does not accept (expired), 404 to an unknown rule or
// stream, 400 to a missing api-version. Scripted answers come first.
type fakeAzure struct {
	script
	store
	t       *testing.T
	maxBody int // the API's limit; 1,000,000 unless a test lowers it

	mu          sync.Mutex
	issued      int
	valid       map[string]bool // tokens the API accepts
	expireNext  bool            // the next token issued is already expired for the API
	rejectAll   bool            // the API accepts no token
	tokenScript []answer        // answers of the token endpoint before it behaves
	tokenForms  []map[string]string
	bodies      []int
}

const (
	fakeTenant = "11111111-2222-3333-4444-555555555555"
	fakeDCR    = "dcr-00112233445566778899aabbccddeeff"
	fakeStream = "Custom-FlarewatchAlerts"
)

func (f *fakeAzure) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/"+fakeTenant+"/oauth2/v2.0/token" {
		f.token(w, r)
		return
	}
	f.request(r.Header)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, len(body))
	ok := f.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] && !f.rejectAll
	f.mu.Unlock()
	switch {
	case !ok:
		answer{status: 401, body: `{"error":{"code":"InvalidAuthenticationToken",` +
			`"message":"The access token is expired or invalid."}}`}.reply(w)
		return
	case r.URL.Path != "/dataCollectionRules/"+fakeDCR+"/streams/"+fakeStream:
		answer{status: 404, body: `{"error":{"code":"NotFound","message":"Data collection rule not found."}}`}.reply(w)
		return
	case r.URL.Query().Get("api-version") != "2023-01-01":
		answer{status: 400, body: `{"error":{"code":"InvalidApiVersion"}}`}.reply(w)
		return
	case len(body) > f.maxBody:
		answer{status: 413, body: `{"error":{"code":"ContentLengthLimitExceeded",` +
			`"message":"Maximum allowed content length: 1048576 bytes (1 MB)."}}`}.reply(w)
		return
	}
	if a, ok := f.next(); ok {
		a.reply(w)
		return
	}
	for _, d := range splitArray(f.t, body) {
		f.keep(alertID(f.t, d), d)
	}
	w.WriteHeader(http.StatusNoContent)
}

// token answers a client-credentials request.
func (f *fakeAzure) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		answer{status: 400}.reply(w)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenForms = append(f.tokenForms, form)
	if len(f.tokenScript) > 0 {
		a := f.tokenScript[0]
		f.tokenScript = f.tokenScript[1:]
		a.reply(w)
		return
	}
	if form["grant_type"] != "client_credentials" || form["client_secret"] != "app-secret" {
		answer{status: 401, body: `{"error":"invalid_client","error_description":` +
			`"AADSTS7000215: Invalid client secret provided."}`}.reply(w)
		return
	}
	f.issued++
	tok := fmt.Sprintf("tok-%d", f.issued)
	if f.valid == nil {
		f.valid = map[string]bool{}
	}
	f.valid[tok] = !f.expireNext
	f.expireNext = false
	answer{status: 200, body: fmt.Sprintf(`{"token_type":"Bearer","expires_in":3599,`+
		`"ext_expires_in":3599,"access_token":%q}`, tok)}.reply(w)
}

func newSentinel(t *testing.T, cfg SentinelConfig) (*SentinelSink, *fakeAzure, *sleeps) {
	t.Helper()
	fake := &fakeAzure{t: t, maxBody: 1_000_000}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL
	cfg.TokenURL = srv.URL + "/" + fakeTenant + "/oauth2/v2.0/token"
	if cfg.DCRImmutableID == "" {
		cfg.DCRImmutableID = fakeDCR
	}
	cfg.Stream, cfg.ClientID = fakeStream, "app-id"
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "app-secret"
	}
	cfg.Log = quiet
	s, err := NewSentinelSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake, fastRetries(s.core)
}

func TestSentinelThrottledExactlyOnce(t *testing.T) {
	s, fake, waits := newSentinel(t, SentinelConfig{})
	fake.add(answer{status: 429, retryAfter: "2",
		body: `{"error":{"code":"TooManyRequests","message":"Rate limit exceeded."}}`})
	alerts := alertBatch(6)
	publishConcurrently(t, s, chunks(alerts, 3))
	fake.checkExactlyOnce(t, alerts)
	if !hasWait(waits.all(), 2*time.Second) {
		t.Errorf("waits %v: Retry-After 2 not honoured", waits.all())
	}
	if len(fake.tokenForms) != 1 {
		t.Errorf("%d token requests, want the token reused", len(fake.tokenForms))
	}
	form := fake.tokenForms[0]
	if form["grant_type"] != "client_credentials" || form["client_id"] != "app-id" ||
		form["scope"] != "https://monitor.azure.com/.default" {
		t.Errorf("token request %v", form)
	}
	for _, h := range fake.headers {
		if h.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", h.Get("Content-Type"))
		}
	}
}

func TestSentinelExpiredToken(t *testing.T) {
	s, fake, waits := newSentinel(t, SentinelConfig{})
	fake.expireNext = true
	alerts := alertBatch(3)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	fake.checkExactlyOnce(t, alerts)
	if len(fake.tokenForms) != 2 || fake.requests != 2 || len(waits.all()) != 0 {
		t.Errorf("%d token requests, %d calls, waits %v: want a refresh and an immediate retry",
			len(fake.tokenForms), fake.requests, waits.all())
	}

	// The next Publish reuses the fresh token.
	if err := s.Publish(context.Background(), alertBatch(1)); err != nil {
		t.Fatal(err)
	}
	if len(fake.tokenForms) != 2 {
		t.Errorf("%d token requests after a second publish", len(fake.tokenForms))
	}
}

func TestSentinelSplitsLargeBatches(t *testing.T) {
	s, fake, _ := newSentinel(t, SentinelConfig{})
	alerts := alertBatch(1500) // about 2 MB of documents
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	fake.checkExactlyOnce(t, alerts)
	if len(fake.bodies) < 2 {
		t.Fatalf("%d calls for 1500 alerts", len(fake.bodies))
	}
	for _, n := range fake.bodies {
		if n > 1_000_000 {
			t.Errorf("a call of %d bytes", n)
		}
	}

	// A 413 below our own limit halves the batch until it fits; an alert
	// too large alone is dead-lettered.
	dead, letters := deadLetters(t)
	s2, fake2, _ := newSentinel(t, SentinelConfig{DeadLetters: dead})
	fake2.maxBody = 6000
	small := alertBatch(9)
	big := alertBatch(10)[9]
	big.Folders = []string{strings.Repeat("x", 7000)}
	if err := s2.Publish(context.Background(), append(small, big)); err != nil {
		t.Fatal(err)
	}
	fake2.checkExactlyOnce(t, small)
	if got := letters(); len(got) != 1 || got[0].Alert.ID != big.ID || got[0].Status != 413 {
		t.Errorf("dead letters %+v, want the large alert", got)
	}
}

func TestSentinelRefusals(t *testing.T) {
	tests := []struct {
		name  string
		cfg   SentinelConfig
		setup func(f *fakeAzure)
		calls int
	}{
		{"bad request", SentinelConfig{}, func(f *fakeAzure) {
			f.add(answer{status: 400, body: `{"error":{"code":"InvalidStream"}}`})
		}, 1},
		{"unknown rule", SentinelConfig{DCRImmutableID: "dcr-missing"}, nil, 1},
		{"forbidden", SentinelConfig{}, func(f *fakeAzure) {
			f.add(answer{status: 403, body: `{"error":{"code":"OperationFailed"}}`})
		}, 1},
		{"token never accepted", SentinelConfig{}, func(f *fakeAzure) { f.rejectAll = true }, 2},
		{"invalid client secret", SentinelConfig{ClientSecret: "wrong"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dead, letters := deadLetters(t)
			tt.cfg.DeadLetters = dead
			s, fake, _ := newSentinel(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(fake)
			}
			alerts := alertBatch(2)
			if err := s.Publish(context.Background(), alerts); err != nil {
				t.Fatalf("publish: %v", err)
			}
			if got := letters(); len(got) != 2 || got[0].Sink != "sentinel" {
				t.Errorf("dead letters %+v", got)
			}
			if fake.count() != 0 || fake.requests != tt.calls {
				t.Errorf("stored %d after %d calls, want %d calls", fake.count(), fake.requests, tt.calls)
			}
		})
	}
}

func TestSentinelTokenEndpointDown(t *testing.T) {
	s, fake, waits := newSentinel(t, SentinelConfig{})
	fake.tokenScript = []answer{{status: 503, body: `{"error":"temporarily_unavailable"}`}}
	alerts := alertBatch(2)
	if err := s.Publish(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	fake.checkExactlyOnce(t, alerts)
	if len(waits.all()) != 1 {
		t.Errorf("waits %v, want one retry of the token", waits.all())
	}
}

func TestSentinelRequestURL(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`)
			return
		}
		got = r.URL.String()
		var docs []stdjson.RawMessage
		b, _ := io.ReadAll(r.Body)
		if err := stdjson.Unmarshal(b, &docs); err != nil || len(docs) != 1 {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	s, err := NewSentinelSink(SentinelConfig{Endpoint: srv.URL + "/", DCRImmutableID: fakeDCR,
		Stream: fakeStream, ClientID: "a", ClientSecret: "b", TokenURL: srv.URL + "/token", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), alertBatch(1)); err != nil {
		t.Fatal(err)
	}
	want := "/dataCollectionRules/" + fakeDCR + "/streams/" + fakeStream + "?api-version=2023-01-01"
	if got != want {
		t.Errorf("request %q, want %q", got, want)
	}

	if _, err := NewSentinelSink(SentinelConfig{Endpoint: srv.URL}); err == nil ||
		!strings.Contains(err.Error(), "dcr_immutable_id") {
		t.Errorf("incomplete config: %v", err)
	}
}
