package enrich

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

// fakeTenant is the tenant in the fake token endpoint's path.
const fakeTenant = "tenant-1"

// fakeDefender is a local Azure AD token endpoint and Defender file API that
// behave as documented: a form-encoded client_credentials grant returns a
// bearer token; GET /api/files/{sha1} checks it and answers 200 with the
// file entity, 404 for an unknown file, 401 for a bad, spent or expired
// token and 429 with Retry-After while a file is throttled.
type fakeDefender struct {
	srv                     *httptest.Server
	clientID, secret, scope string

	mu         sync.Mutex
	files      map[string]string // by sha1: the file entity's JSON
	throttle   map[string]int    // by sha1: 429 answers still to give
	retryAfter func() string     // a 429's Retry-After; nil means "1"
	status     map[string]int    // by sha1: a status to answer instead
	tokenUses  int               // calls a token is good for; 0 is no limit
	tokenLife  time.Duration     // when a token stops working; 0 is never
	expiresIn  int               // the lifetime the token answer advertises
	echo       bool              // error answers echo the credentials sent
	tokens     map[string]*fakeToken
	tokenCalls int
	fileCalls  []time.Time // when each file call arrived
}

// fakeToken is an issued token's use count and end.
type fakeToken struct {
	uses int
	ends time.Time
}

// newFakeDefender starts a fake that knows no file; the test closes it.
func newFakeDefender(t *testing.T) *fakeDefender {
	t.Helper()
	f := &fakeDefender{
		clientID:  "app-" + randomHex(t, 4),
		secret:    "secret-" + randomHex(t, 16),
		scope:     "https://api.securitycenter.microsoft.com/.default",
		files:     map[string]string{},
		throttle:  map[string]int{},
		status:    map[string]int{},
		tokens:    map[string]*fakeToken{},
		expiresIn: 3599,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+fakeTenant+"/oauth2/v2.0/token", f.token)
	mux.HandleFunc("GET /api/files/{id}", f.file)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// tokenURL is the fake's token endpoint.
func (f *fakeDefender) tokenURL() string {
	return f.srv.URL + "/" + fakeTenant + "/oauth2/v2.0/token"
}

// set changes the fake's behaviour under its lock.
func (f *fakeDefender) set(change func(f *fakeDefender)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// counts returns the number of token and file calls so far.
func (f *fakeDefender) counts() (tokenCalls, fileCalls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls, len(f.fileCalls)
}

// issued returns every access token issued so far.
func (f *fakeDefender) issued() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for tok := range f.tokens {
		out = append(out, tok)
	}
	return out
}

func (f *fakeDefender) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++

	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	case r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.secret:
		desc := "AADSTS7000215: Invalid client secret provided."
		if f.echo {
			desc += " Got " + r.PostForm.Get("client_secret") + " for " + r.PostForm.Get("client_id")
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_client", "error_description": desc})
		return
	case r.PostForm.Get("scope") != f.scope:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_scope"})
		return
	}

	tok := "tok-" + strconv.Itoa(f.tokenCalls) + "-" + rand.Text()
	ft := &fakeToken{}
	if f.tokenLife > 0 {
		ft.ends = time.Now().Add(f.tokenLife)
	}
	f.tokens[tok] = ft
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": f.expiresIn})
}

func (f *fakeDefender) file(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fileCalls = append(f.fileCalls, time.Now())

	// The bearer token: known, not spent, not expired.
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	ft := f.tokens[tok]
	if !ok || ft == nil || (f.tokenUses > 0 && ft.uses >= f.tokenUses) ||
		(!ft.ends.IsZero() && time.Now().After(ft.ends)) {
		writeAPIError(w, http.StatusUnauthorized, "Unauthorized", f.echoed(r))
		return
	}
	ft.uses++

	id := r.PathValue("id")
	if code, ok := f.status[id]; ok {
		writeAPIError(w, code, http.StatusText(code), f.echoed(r))
		return
	}
	if f.throttle[id] > 0 {
		f.throttle[id]--
		after := "1"
		if f.retryAfter != nil {
			after = f.retryAfter()
		}
		if after != "" {
			w.Header().Set("Retry-After", after)
		}
		writeAPIError(w, http.StatusTooManyRequests, "TooManyRequests", "")
		return
	}
	body, ok := f.files[id]
	if !ok {
		writeAPIError(w, http.StatusNotFound, "NotFound", "")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte(body))
}

// echoed returns what an echoing fake puts in error messages: the
// credentials the request carried and the secret it knows.
func (f *fakeDefender) echoed(r *http.Request) string {
	if !f.echo {
		return ""
	}
	return "Authorization: " + r.Header.Get("Authorization") + "; expected secret " + f.secret
}

// writeAPIError writes the API's error document.
func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// entity returns a file entity with every documented member; signer, valid
// and prevalence are written as given, nil as null.
func entity(sha1 string, prevalence any, signer any, valid any) string {
	b, err := json.Marshal(map[string]any{
		"sha1":                sha1,
		"sha256":              strings.Repeat("5E", 32),
		"globalPrevalence":    prevalence,
		"globalFirstObserved": "2024-03-01T10:00:00Z",
		"globalLastObserved":  "2026-01-02T03:04:05Z",
		"size":                48128,
		"fileType":            nil,
		"isPeFile":            true,
		"filePublisher":       nil,
		"fileProductName":     nil,
		"signer":              signer,
		"issuer":              nil,
		"signerHash":          nil,
		"isValidCertificate":  valid,
		"determinationType":   "Unknown",
		"determinationValue":  "",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// randomHex returns n random bytes in hex.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newTestMDE returns an MDE that talks to f with generous limits and a
// MaxWait of 5 s, changed by change when it is not nil.
func newTestMDE(t *testing.T, f *fakeDefender, change func(o *MDEOptions)) *MDE {
	t.Helper()
	o := MDEOptions{
		BaseURL:      f.srv.URL,
		TokenURL:     f.tokenURL(),
		ClientID:     f.clientID,
		ClientSecret: f.secret,
		Scope:        f.scope,
		PerMinute:    100,
		PerHour:      1500,
		HTTPClient:   f.srv.Client(),
		MaxWait:      5 * time.Second,
	}
	if change != nil {
		change(&o)
	}
	m, err := NewMDE(o)
	if err != nil {
		t.Fatalf("NewMDE: %v", err)
	}
	return m
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
