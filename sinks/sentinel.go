package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// SentinelScope is the OAuth scope of the Azure Monitor Logs Ingestion API.
const SentinelScope = "https://monitor.azure.com/.default"

// sentinelMaxBytes is the Logs Ingestion API's limit on one call.
const sentinelMaxBytes = 1_000_000

// SentinelConfig configures a SentinelSink.
type SentinelConfig struct {
	// Endpoint is the data collection endpoint (or the DCR's own logs
	// ingestion endpoint), for example
	// https://my-dce-a1b2.westeurope-1.ingest.monitor.azure.com.
	Endpoint string
	// DCRImmutableID is the data collection rule's immutable id (dcr-…).
	DCRImmutableID string
	// Stream is the DCR's input stream, for example Custom-FlarewatchAlerts.
	Stream string
	// TenantID, ClientID and ClientSecret are the Azure AD application's
	// client credentials; the application needs the Monitoring Metrics
	// Publisher role on the DCR. ClientSecret is a secret.
	TenantID     string
	ClientID     string
	ClientSecret string
	// TokenURL overrides the token endpoint, by default
	// https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token
	// (sovereign clouds, tests).
	TokenURL string
	// Scope overrides SentinelScope (sovereign clouds).
	Scope string
	// Form is the document form; "" is FormFlarewatch.
	Form Form
	// MaxBytes caps a request body; default and maximum 1,000,000 bytes.
	MaxBytes int
	// Retry bounds the retries of one Publish.
	Retry Retry
	// DeadLetters keeps the alerts Azure refuses for good.
	DeadLetters *DeadLetterAlerts
	// Client sends the requests, to Azure AD too; default a client with a
	// 30 s timeout.
	Client *http.Client
	// Log receives retries and refusals; default slog.Default().
	Log *slog.Logger
}

// SentinelSink sends alerts to Microsoft Sentinel through the Azure Monitor
// Logs Ingestion API: a POST of a JSON array to
// {Endpoint}/dataCollectionRules/{DCRImmutableID}/streams/{Stream}?api-version=2023-01-01
// with a bearer token from Azure AD client credentials. A batch larger than
// the API's 1 MB is split; a 413 splits it further; 204 delivers. 429 (with
// Retry-After), 5xx, 408 and network errors are retried within the budget.
// A 401 gets a fresh token and one more try, since the cached one may have
// expired early; a second 401 and other 4xx answers dead-letter the batch,
// as does a 4xx from Azure AD. SentinelSink is safe for concurrent use.
type SentinelSink struct {
	cfg    SentinelConfig
	url    string
	tokens *tokenCache
	core   *httpCore
}

// NewSentinelSink checks cfg and returns the sink. No token is fetched
// until the first Publish.
func NewSentinelSink(cfg SentinelConfig) (*SentinelSink, error) {
	if err := checkURL("sentinel endpoint", cfg.Endpoint); err != nil {
		return nil, err
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"dcr_immutable_id", cfg.DCRImmutableID}, {"stream", cfg.Stream},
		{"client_id", cfg.ClientID}, {"client_secret", cfg.ClientSecret},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if cfg.TenantID == "" && cfg.TokenURL == "" {
		missing = append(missing, "tenant_id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sentinel: %s required", strings.Join(missing, ", "))
	}
	form, err := ParseForm(string(cfg.Form))
	if err != nil {
		return nil, fmt.Errorf("sentinel: %w", err)
	}
	cfg.Form = form
	if cfg.MaxBytes <= 0 || cfg.MaxBytes > sentinelMaxBytes {
		cfg.MaxBytes = sentinelMaxBytes
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) +
			"/oauth2/v2.0/token"
	}
	if cfg.Scope == "" {
		cfg.Scope = SentinelScope
	}
	core := newCore("sentinel", cfg.Client, cfg.Retry, cfg.DeadLetters, cfg.Log)
	return &SentinelSink{
		cfg: cfg,
		url: strings.TrimSuffix(cfg.Endpoint, "/") + "/dataCollectionRules/" +
			url.PathEscape(cfg.DCRImmutableID) + "/streams/" + url.PathEscape(cfg.Stream) +
			"?api-version=2023-01-01",
		tokens: &tokenCache{client: core.client, conf: &clientcredentials.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL,
			Scopes: []string{cfg.Scope}, AuthStyle: oauth2.AuthStyleInParams,
		}},
		core: core,
	}, nil
}

// Publish sends the alerts in calls of at most MaxBytes. It implements
// Sink.
func (s *SentinelSink) Publish(ctx context.Context, alerts []Alert) error {
	enc := func(a *Alert) ([]byte, error) { return Encode(a, s.cfg.Form) }
	return s.core.publish(ctx, alerts, enc, 0, s.cfg.MaxBytes, 1, 2, s.deliver)
}

// deliver sends b with retries, halving it on 413.
func (s *SentinelSink) deliver(ctx context.Context, deadline time.Time, b batch) error {
	err := s.core.attempt(ctx, deadline, func(ctx context.Context) error { return s.send(ctx, b) })
	var se *StatusError
	switch {
	case err == nil:
		s.core.delivered.Add(int64(len(b.alerts)))
		return nil
	case errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge && len(b.docs) > 1:
		first, second := b.half()
		if err := s.deliver(ctx, deadline, first); err != nil {
			return err
		}
		return s.deliver(ctx, deadline, second)
	case errors.Is(err, ErrRefused):
		return s.core.refuse(ctx, b.alerts, err)
	}
	return err
}

// send makes one call of b, with one more after a 401 on a fresh token.
func (s *SentinelSink) send(ctx context.Context, b batch) error {
	body := make([]byte, 0, b.size)
	body = append(body, '[')
	for i, d := range b.docs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, d...)
	}
	body = append(body, ']')

	for try := 0; ; try++ {
		tok, err := s.tokens.get(ctx)
		if err != nil {
			return err
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("Authorization", "Bearer "+tok.AccessToken)
		_, err = s.core.post(ctx, s.url, h, body)
		var se *StatusError
		if try == 0 && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			s.core.log.Debug("sentinel refused the token; fetching a new one", "error", err)
			s.tokens.invalidate(tok)
			continue
		}
		return err
	}
}

// Stats returns what the sink did so far.
func (s *SentinelSink) Stats() Stats { return s.core.stats() }

// Name names the sink in logs and metrics.
func (s *SentinelSink) Name() string { return s.core.name }

// Close marks the sink closed; it buffers nothing. It implements Sink.
func (s *SentinelSink) Close(context.Context) error {
	s.core.closed.Store(true)
	return nil
}

// tokenCache holds the current access token, fetched with client
// credentials when missing or about to expire.
type tokenCache struct {
	client *http.Client
	conf   *clientcredentials.Config

	mu  sync.Mutex
	tok *oauth2.Token
}

// get returns a valid token. Concurrent callers wait for one fetch.
func (t *tokenCache) get(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Valid() {
		return t.tok, nil
	}
	tok, err := t.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, t.client))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			se := &StatusError{Sink: "sentinel token", Status: re.Response.StatusCode,
				Detail: excerpt(re.Body)}
			if se.Permanent() {
				return nil, fmt.Errorf("azure ad token: %w", se)
			}
			return nil, fmt.Errorf("azure ad token: %w (%w)", se, err)
		}
		return nil, fmt.Errorf("azure ad token: %w", err)
	}
	t.tok = tok
	return tok, nil
}

// invalidate drops tok if it is still the cached token.
func (t *tokenCache) invalidate(tok *oauth2.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == tok {
		t.tok = nil
	}
}
