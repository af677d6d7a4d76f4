package sinks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// WebhookConfig configures a WebhookSink.
type WebhookConfig struct {
	// URL receives the POSTs; http or https.
	URL string
	// AuthHeader and AuthValue, when set, are sent with every request, for
	// example "Authorization" and "Bearer <token>". AuthValue is a secret.
	AuthHeader string
	AuthValue  string
	// NDJSON sends one document a line (application/x-ndjson) instead of a
	// JSON array (application/json).
	NDJSON bool
	// Form is the document form; "" is FormFlarewatch.
	Form Form
	// MaxBatch caps the alerts of one request; 0 sends each Publish's batch
	// in as few requests as MaxBytes allows. 1 sends one alert a request,
	// each with its own Idempotency-Key.
	MaxBatch int
	// MaxBytes caps a request body; default 1 MiB.
	MaxBytes int
	// Retry bounds the retries of one Publish.
	Retry Retry
	// DeadLetters keeps the alerts the receiver refuses for good (4xx other
	// than 408 and 429). Without it such a refusal is returned by Publish
	// and the pipeline retries the batch until the receiver takes it.
	DeadLetters *DeadLetterAlerts
	// Client sends the requests; default a client with a 30 s timeout.
	Client *http.Client
	// Log receives retries at debug level and refusals at warn level;
	// default slog.Default().
	Log *slog.Logger
}

// WebhookSink POSTs alerts to a URL. A request carries a batch as a JSON
// array (or NDJSON) and these headers:
//
//   - Idempotency-Key: the DeliveryKey of the alert when the request holds
//     one alert; for several, "batch-" and a digest of their keys, the same
//     whenever the same alerts are sent together again;
//   - the configured auth header.
//
// Any 2xx answer delivers the batch. 408, 429, 5xx and network errors are
// retried with backoff, honouring Retry-After, within the retry budget;
// other 4xx answers send the batch to the dead letters. WebhookSink is safe
// for concurrent use.
type WebhookSink struct {
	cfg  WebhookConfig
	core *httpCore
}

// NewWebhookSink checks cfg and returns the sink.
func NewWebhookSink(cfg WebhookConfig) (*WebhookSink, error) {
	if err := checkURL("webhook url", cfg.URL); err != nil {
		return nil, err
	}
	form, err := ParseForm(string(cfg.Form))
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	cfg.Form = form
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	return &WebhookSink{cfg: cfg,
		core: newCore("webhook", cfg.Client, cfg.Retry, cfg.DeadLetters, cfg.Log)}, nil
}

// Publish sends the alerts in as few requests as the limits allow. It
// implements Sink.
func (s *WebhookSink) Publish(ctx context.Context, alerts []Alert) error {
	enc := func(a *Alert) ([]byte, error) { return Encode(a, s.cfg.Form) }
	return s.core.publish(ctx, alerts, enc, s.cfg.MaxBatch, s.cfg.MaxBytes, 1, 2,
		func(ctx context.Context, deadline time.Time, b batch) error {
			return s.core.deliverSimple(ctx, deadline, b, s.send)
		})
}

// send makes one request of b.
func (s *WebhookSink) send(ctx context.Context, b batch) error {
	body := make([]byte, 0, b.size)
	h := http.Header{}
	if s.cfg.NDJSON {
		for _, d := range b.docs {
			body = append(append(body, d...), '\n')
		}
		h.Set("Content-Type", "application/x-ndjson")
	} else {
		body = append(body, '[')
		for i, d := range b.docs {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, d...)
		}
		body = append(body, ']')
		h.Set("Content-Type", "application/json")
	}
	h.Set("Idempotency-Key", idempotencyKey(b.alerts))
	if s.cfg.AuthHeader != "" {
		h.Set(s.cfg.AuthHeader, s.cfg.AuthValue)
	}
	_, err := s.core.post(ctx, s.cfg.URL, h, body)
	return err
}

// idempotencyKey is the Idempotency-Key of a request carrying alerts.
func idempotencyKey(alerts []Alert) string {
	if len(alerts) == 1 {
		return DeliveryKey(&alerts[0])
	}
	h := sha256.New()
	for i := range alerts {
		h.Write([]byte(DeliveryKey(&alerts[i])))
		h.Write([]byte{'\n'})
	}
	return "batch-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Stats returns what the sink did so far.
func (s *WebhookSink) Stats() Stats { return s.core.stats() }

// Name names the sink in logs and metrics.
func (s *WebhookSink) Name() string { return s.core.name }

// Close marks the sink closed; it buffers nothing. The DeadLetters writer
// is not closed: its owner closes it. It implements Sink.
func (s *WebhookSink) Close(context.Context) error {
	s.core.closed.Store(true)
	return nil
}

// checkURL checks that raw is an absolute http or https URL.
func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an absolute http or https URL", what, raw)
	}
	return nil
}
