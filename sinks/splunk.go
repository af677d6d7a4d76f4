package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
)

// SplunkHECConfig configures a SplunkHECSink.
type SplunkHECConfig struct {
	// URL is the HEC base, for example https://splunk.example.com:8088; the
	// sink posts to {URL}/services/collector/event.
	URL string
	// Token is the HEC token, sent as "Authorization: Splunk <token>". A
	// secret.
	Token string
	// Index, when set, names the index of every event; otherwise the
	// token's default index receives them.
	Index string
	// Host is the events' host field; default this machine's host name.
	Host string
	// Source is the events' source; default "flarewatch".
	Source string
	// SourceType is the events' sourcetype; default "flarewatch:alert", or
	// "flarewatch:ocsf" for the OCSF form.
	SourceType string
	// Channel, a GUID, turns on indexer acknowledgement, which the token
	// must have enabled: Publish then returns nil only once Splunk reports
	// the events indexed. Without it a 200 means the events were received.
	Channel string
	// Form is the form of the event field; "" is FormFlarewatch.
	Form Form
	// MaxBytes caps a request body; default 1 MiB (HEC's
	// max_content_length may be larger).
	MaxBytes int
	// Retry bounds the retries of one Publish, acknowledgement polls
	// included.
	Retry Retry
	// DeadLetters keeps the alerts Splunk refuses for good.
	DeadLetters *DeadLetterAlerts
	// Client sends the requests; default a client with a 30 s timeout.
	Client *http.Client
	// Log receives retries and refusals; default slog.Default().
	Log *slog.Logger
}

// SplunkHECSink sends alerts to a Splunk HTTP Event Collector. One request
// carries a batch as concatenated event objects:
//
//	{"time":1736934090.000,"host":"…","source":"flarewatch",
//	 "sourcetype":"flarewatch:alert","index":"…","event":{…}}
//
// time is emitted_at in seconds. HEC answers {"text":"Success","code":0}.
// 503 (code 9 server busy, and the unhealthy codes), other 5xx, 408, 429 and
// network errors are retried within the budget. A 400 that names an
// invalid-event-number means the events before it were taken: they count as
// delivered, that one is dead-lettered and the rest are sent again. Any
// other 4xx (400 code 6 invalid data format, 401 token required, 403 code 4
// invalid token, 403 code 1 token disabled) dead-letters the batch.
// SplunkHECSink is safe for concurrent use.
type SplunkHECSink struct {
	cfg      SplunkHECConfig
	eventURL string
	ackURL   string
	auth     string
	core     *httpCore
}

// NewSplunkHECSink checks cfg and returns the sink.
func NewSplunkHECSink(cfg SplunkHECConfig) (*SplunkHECSink, error) {
	if err := checkURL("splunk hec url", cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("splunk hec: token is required")
	}
	form, err := ParseForm(string(cfg.Form))
	if err != nil {
		return nil, fmt.Errorf("splunk hec: %w", err)
	}
	cfg.Form = form
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if cfg.Source == "" {
		cfg.Source = "flarewatch"
	}
	if cfg.SourceType == "" {
		cfg.SourceType = "flarewatch:alert"
		if form == FormOCSF {
			cfg.SourceType = "flarewatch:ocsf"
		}
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	base := strings.TrimSuffix(cfg.URL, "/")
	s := &SplunkHECSink{cfg: cfg,
		eventURL: base + "/services/collector/event",
		ackURL:   base + "/services/collector/ack?channel=" + url.QueryEscape(cfg.Channel),
		auth:     "Splunk " + cfg.Token,
		core:     newCore("splunk_hec", cfg.Client, cfg.Retry, cfg.DeadLetters, cfg.Log)}
	return s, nil
}

// hecEvent is the envelope of one event.
type hecEvent struct {
	Time       json.Number     `json:"time"`
	Host       string          `json:"host,omitempty"`
	Source     string          `json:"source"`
	SourceType string          `json:"sourcetype"`
	Index      string          `json:"index,omitempty"`
	Event      json.RawMessage `json:"event"`
}

// hecReply is HEC's answer, to a send or an acknowledgement poll.
type hecReply struct {
	Text         string          `json:"text"`
	Code         int             `json:"code"`
	AckID        *int64          `json:"ackId"`
	InvalidEvent *int            `json:"invalid-event-number"`
	Acks         map[string]bool `json:"acks"`
}

// encode builds the event envelope of a.
func (s *SplunkHECSink) encode(a *Alert) ([]byte, error) {
	doc, err := Encode(a, s.cfg.Form)
	if err != nil {
		return nil, err
	}
	b, err := appendJSON(nil, hecEvent{Time: epochSeconds(a.EmittedAt), Host: s.cfg.Host,
		Source: s.cfg.Source, SourceType: s.cfg.SourceType, Index: s.cfg.Index, Event: doc})
	if err != nil {
		return nil, fmt.Errorf("encode hec event of alert %s: %w", a.ID, err)
	}
	return b, nil
}

// epochSeconds is t as seconds since the epoch with milliseconds.
func epochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	return json.Number(fmt.Sprintf("%d.%03d", sec, frac))
}

// Publish sends the alerts as few requests as MaxBytes allows. It
// implements Sink.
func (s *SplunkHECSink) Publish(ctx context.Context, alerts []Alert) error {
	return s.core.publish(ctx, alerts, s.encode, 0, s.cfg.MaxBytes, 1, 0, s.deliver)
}

// deliver sends b with retries. After a refusal that names the first bad
// event, the events before it are delivered, that one is dead-lettered and
// the rest go again.
func (s *SplunkHECSink) deliver(ctx context.Context, deadline time.Time, b batch) error {
	for len(b.docs) > 0 {
		var ack *int64
		err := s.core.attempt(ctx, deadline, func(ctx context.Context) (err error) {
			ack, err = s.send(ctx, b)
			return err
		})
		if err == nil && ack != nil {
			err = s.awaitAck(ctx, deadline, *ack)
		}
		if err == nil {
			s.core.delivered.Add(int64(len(b.alerts)))
			return nil
		}
		if !errors.Is(err, ErrRefused) {
			return err
		}
		var he *hecError
		if !errors.As(err, &he) || he.invalidEvent < 0 || he.invalidEvent >= len(b.docs) {
			return s.core.refuse(ctx, b.alerts, err)
		}
		n := he.invalidEvent
		s.core.delivered.Add(int64(n))
		if err := s.core.refuse(ctx, b.alerts[n:n+1], err); err != nil {
			return err
		}
		b = b.from(n + 1)
	}
	return nil
}

// hecError is a HEC refusal with its HEC code.
type hecError struct {
	*StatusError
	code         int
	invalidEvent int // -1 when HEC did not name one
}

// Unwrap returns the StatusError.
func (e *hecError) Unwrap() error { return e.StatusError }

// send makes one request of b and returns the ackId when HEC gave one.
func (s *SplunkHECSink) send(ctx context.Context, b batch) (*int64, error) {
	body := make([]byte, 0, b.size)
	for _, d := range b.docs {
		body = append(append(body, d...), '\n')
	}
	resp, err := s.core.post(ctx, s.eventURL, s.header(), body)
	var r hecReply
	_ = json.Unmarshal(resp, &r)
	var se *StatusError
	if errors.As(err, &se) {
		he := &hecError{StatusError: se, code: r.Code, invalidEvent: -1}
		if r.InvalidEvent != nil {
			he.invalidEvent = *r.InvalidEvent
		}
		return nil, he
	}
	if err != nil {
		return nil, err
	}
	if r.Code != 0 {
		return nil, fmt.Errorf("splunk_hec: http 200 with code %d: %s", r.Code, excerpt(resp))
	}
	if s.cfg.Channel == "" {
		return nil, nil
	}
	if r.AckID == nil {
		return nil, fmt.Errorf("splunk_hec: %w: no ackId in the answer: is indexer acknowledgement "+
			"enabled on the token?", ErrRefused)
	}
	return r.AckID, nil
}

// awaitAck polls HEC until it reports ack indexed, or the budget ends.
func (s *SplunkHECSink) awaitAck(ctx context.Context, deadline time.Time, ack int64) error {
	body := []byte(`{"acks":[` + strconv.FormatInt(ack, 10) + `]}`)
	key := strconv.FormatInt(ack, 10)
	return s.core.attempt(ctx, deadline, func(ctx context.Context) error {
		resp, err := s.core.post(ctx, s.ackURL, s.header(), body)
		if err != nil {
			return err
		}
		var r hecReply
		if err := json.Unmarshal(resp, &r); err != nil {
			return fmt.Errorf("splunk_hec: ack answer %q: %w", excerpt(resp), err)
		}
		if !r.Acks[key] {
			return fmt.Errorf("splunk_hec: ack %d not indexed yet", ack)
		}
		return nil
	})
}

// header is the header of every HEC request.
func (s *SplunkHECSink) header() http.Header {
	h := http.Header{}
	h.Set("Authorization", s.auth)
	h.Set("Content-Type", "application/json")
	if s.cfg.Channel != "" {
		h.Set("X-Splunk-Request-Channel", s.cfg.Channel)
	}
	return h
}

// Stats returns what the sink did so far.
func (s *SplunkHECSink) Stats() Stats { return s.core.stats() }

// Name names the sink in logs and metrics.
func (s *SplunkHECSink) Name() string { return s.core.name }

// Close marks the sink closed; it buffers nothing. It implements Sink.
func (s *SplunkHECSink) Close(context.Context) error {
	s.core.closed.Store(true)
	return nil
}
