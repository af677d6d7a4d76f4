package config

import (
	"net/url"
	"strings"
)

// Sinks chooses where alerts go and in which form. At least one sink must be
// enabled. An HTTP sink (Webhook, SplunkHEC, Sentinel) is on while its URL
// or endpoint is set.
type Sinks struct {
	// Kafka publishes alerts to Kafka.AlertTopic.
	Kafka bool `yaml:"kafka"`
	// Stdout writes alerts to standard output, one JSON document a line.
	Stdout bool `yaml:"stdout"`
	// File appends alerts to this file as JSON lines; "" turns it off.
	File string `yaml:"file"`
	// Format is the form of every sink's documents, FormatFlarewatch or
	// FormatOCSF; an HTTP sink's own form overrides it.
	Format string `yaml:"format"`
	// DeadLetterFile receives, as JSON lines, the alerts an HTTP sink's
	// destination refused for good, so that they can be replayed once the
	// cause is fixed. Every HTTP sink shares it; it is required while one is
	// on.
	DeadLetterFile string `yaml:"dead_letter_file"`

	Webhook   Webhook   `yaml:"webhook"`
	SplunkHEC SplunkHEC `yaml:"splunk_hec"`
	Sentinel  Sentinel  `yaml:"sentinel"`
}

// The values of Sinks.Format and of an HTTP sink's Form.
const (
	FormatFlarewatch = "flarewatch" // the alert document, sinks/schema/alert.v1.schema.json
	FormatOCSF       = "ocsf"       // the OCSF 1.3 Detection Finding (class 2004)
)

// HTTPOn reports whether any HTTP sink is on.
func (s Sinks) HTTPOn() bool {
	return s.Webhook.On() || s.SplunkHEC.On() || s.Sentinel.On()
}

// FormOf returns the form a sink with its own form setting writes: that
// setting, or Format when it is empty.
func (s Sinks) FormOf(own string) string {
	if own != "" {
		return own
	}
	return s.Format
}

// Retry bounds the retries of one delivery to an HTTP sink: the pause after
// the first failure, which doubles up to Max, and the whole time one
// delivery may take before the pipeline gives up and retries the batch
// later.
type Retry struct {
	Initial Duration `yaml:"initial"`
	Max     Duration `yaml:"max"`
	Budget  Duration `yaml:"budget"`
}

// Webhook configures the sink that POSTs alerts to a URL, a SOAR's for
// example.
type Webhook struct {
	// URL receives the POSTs, http or https; "" turns the sink off.
	URL string `yaml:"url"`
	// AuthHeader is sent with AuthValue on every request. Set it to "" for
	// a receiver that takes no auth header.
	AuthHeader string `yaml:"auth_header"`
	// AuthValue is the auth header's value, "Bearer <token>" for example.
	AuthValue Secret `yaml:"auth_value"`
	// NDJSON sends one document a line instead of a JSON array.
	NDJSON bool `yaml:"ndjson"`
	// MaxBatch caps the alerts of one request; 0 is no cap, 1 sends one
	// alert a request with its delivery key as Idempotency-Key.
	MaxBatch int `yaml:"max_batch"`
	// MaxBytes caps the body of one request.
	MaxBytes int `yaml:"max_bytes"`
	// Form is FormatFlarewatch or FormatOCSF; "" takes Sinks.Format.
	Form string `yaml:"form"`
	// Throttle passes at most one update per hash per interval; 0 passes
	// every alert.
	Throttle Duration `yaml:"throttle"`
	Retry    Retry    `yaml:"retry"`
}

// On reports whether the sink is on: its URL is set.
func (w Webhook) On() bool { return w.URL != "" }

// SplunkHEC configures the sink that sends alerts to a Splunk HTTP Event
// Collector.
type SplunkHEC struct {
	// URL is the HEC base, https://splunk.example.com:8088 for example; the
	// sink adds /services/collector/event. "" turns the sink off.
	URL string `yaml:"url"`
	// Token is the HEC token.
	Token Secret `yaml:"token"`
	// Index names the index of every event; "" leaves it to the token's
	// default index.
	Index string `yaml:"index"`
	// Channel, a GUID, turns on indexer acknowledgement, which the token
	// must have enabled.
	Channel string `yaml:"channel"`
	// MaxBytes caps the body of one request.
	MaxBytes int `yaml:"max_bytes"`
	// Form is FormatFlarewatch or FormatOCSF; "" takes Sinks.Format.
	Form string `yaml:"form"`
	// Throttle passes at most one update per hash per interval; 0 passes
	// every alert.
	Throttle Duration `yaml:"throttle"`
	Retry    Retry    `yaml:"retry"`
}

// On reports whether the sink is on: its URL is set.
func (h SplunkHEC) On() bool { return h.URL != "" }

// Sentinel configures the sink that sends alerts to Microsoft Sentinel
// through the Azure Monitor Logs Ingestion API, with Azure AD client
// credentials.
type Sentinel struct {
	// Endpoint is the data collection endpoint's logs ingestion URL; ""
	// turns the sink off.
	Endpoint string `yaml:"endpoint"`
	// DCRImmutableID is the data collection rule's immutable id, dcr-….
	DCRImmutableID string `yaml:"dcr_immutable_id"`
	// Stream is the rule's input stream.
	Stream string `yaml:"stream"`
	// TenantID, ClientID and ClientSecret are the app registration's client
	// credentials.
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// TokenURL is the OAuth 2.0 token endpoint; "{tenant}" is replaced by
	// TenantID (see TokenEndpoint). Change it and Scope for sovereign
	// clouds.
	TokenURL string `yaml:"token_url"`
	Scope    string `yaml:"scope"`
	// MaxBytes caps the body of one request; the API takes at most
	// SentinelMaxBytes.
	MaxBytes int `yaml:"max_bytes"`
	// Form is FormatFlarewatch or FormatOCSF; "" takes Sinks.Format.
	Form string `yaml:"form"`
	// Throttle passes at most one update per hash per interval; 0 passes
	// every alert.
	Throttle Duration `yaml:"throttle"`
	Retry    Retry    `yaml:"retry"`
}

// SentinelMaxBytes is the most the Logs Ingestion API takes in one call.
const SentinelMaxBytes = 1_000_000

// On reports whether the sink is on: its endpoint is set.
func (s Sentinel) On() bool { return s.Endpoint != "" }

// TokenEndpoint returns TokenURL with TenantPlaceholder replaced by the
// path-escaped TenantID.
func (s Sentinel) TokenEndpoint() string {
	return strings.ReplaceAll(s.TokenURL, TenantPlaceholder, url.PathEscape(s.TenantID))
}
