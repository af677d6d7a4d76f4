package config

import (
	"errors"
	"testing"
	"time"
)

// withHTTPSinks turns on every HTTP sink with complete settings and the
// OCSF form, then applies change.
func withHTTPSinks(change func(*Sinks)) func(*Config) {
	return func(c *Config) {
		s := &c.Sinks
		s.Format = FormatOCSF
		s.DeadLetterFile = "/var/lib/flarewatch/refused.jsonl"
		s.Webhook.URL, s.Webhook.AuthValue = "https://soar.example.com/hook", "Bearer t"
		s.Webhook.Form = FormatFlarewatch
		s.SplunkHEC.URL, s.SplunkHEC.Token = "https://splunk.example.com:8088", "hec"
		s.Sentinel.Endpoint = "https://dce.westeurope-1.ingest.monitor.azure.com"
		s.Sentinel.DCRImmutableID = "dcr-00112233445566778899aabbccddeeff"
		s.Sentinel.TenantID, s.Sentinel.ClientID, s.Sentinel.ClientSecret = "t", "c", "s"
		change(s)
	}
}

func TestValidSinks(t *testing.T) {
	tests := map[string]func(*Config){
		"ocsf everywhere":   func(c *Config) { c.Sinks.Format = FormatOCSF },
		"every http sink":   withHTTPSinks(func(*Sinks) {}),
		"only an http sink": withHTTPSinks(func(s *Sinks) { s.Kafka = false }),
		"webhook without auth": withHTTPSinks(func(s *Sinks) {
			s.Webhook.AuthHeader, s.Webhook.AuthValue = "", ""
		}),
		"hec channel": withHTTPSinks(func(s *Sinks) {
			s.SplunkHEC.Channel = "0B1E2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
		}),
		"sentinel own token url": withHTTPSinks(func(s *Sinks) {
			s.Sentinel.TenantID, s.Sentinel.TokenURL = "", "http://127.0.0.1:1/token"
		}),
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			c := valid()
			change(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateSinks(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // the whole problem: field and message
	}{
		{"no dead-letter file", withHTTPSinks(func(s *Sinks) { s.DeadLetterFile = "" }),
			"sinks.dead_letter_file: required while sinks.webhook.url, sinks.splunk_hec.url, " +
				"sinks.sentinel.endpoint are set: set it in the file or FLAREWATCH_SINKS_DEAD_LETTER_FILE"},
		{"no dead-letter file for one sink", withHTTPSinks(func(s *Sinks) {
			s.DeadLetterFile, s.Webhook.URL, s.SplunkHEC.URL = "", "", ""
		}), "sinks.dead_letter_file: required while sinks.sentinel.endpoint is set: set it in the file"},
		{"dead letters into the alert file", withHTTPSinks(func(s *Sinks) { s.File = s.DeadLetterFile }),
			`sinks.dead_letter_file: "/var/lib/flarewatch/refused.jsonl" is also sinks.file: give ` +
				`refused alerts a file of their own`},

		// webhook
		{"webhook url scheme", withHTTPSinks(func(s *Sinks) { s.Webhook.URL = "ftp://soar/hook" }),
			`sinks.webhook.url: "ftp://soar/hook" is not an http(s) URL, e.g. ` +
				`https://soar.example.com/hooks/flarewatch`},
		{"webhook without auth value", withHTTPSinks(func(s *Sinks) { s.Webhook.AuthValue = "" }),
			"sinks.webhook.auth_value: required while sinks.webhook.url is set and auth_header is " +
				"Authorization: set it in the file or FLAREWATCH_SINKS_WEBHOOK_AUTH_VALUE, or set " +
				`auth_header to "" for a receiver that takes no auth header`},
		{"webhook value without header", withHTTPSinks(func(s *Sinks) { s.Webhook.AuthHeader = "" }),
			"sinks.webhook.auth_header: empty, but auth_value is set: name the header, e.g. Authorization"},
		{"webhook bad header", withHTTPSinks(func(s *Sinks) { s.Webhook.AuthHeader = "X Token:" }),
			`sinks.webhook.auth_header: "X Token:" is not an HTTP header name, e.g. Authorization`},
		{"webhook negative batch", withHTTPSinks(func(s *Sinks) { s.Webhook.MaxBatch = -1 }),
			"sinks.webhook.max_batch: must not be negative, got -1: 0 means no cap"},
		{"webhook tiny body", withHTTPSinks(func(s *Sinks) { s.Webhook.MaxBytes = 1000 }),
			"sinks.webhook.max_bytes: 1000 is under 65536 (64 KiB): an alert document may not fit " +
				"in one request; raise it"},
		{"webhook form", withHTTPSinks(func(s *Sinks) { s.Webhook.Form = "cef" }),
			`sinks.webhook.form: "cef" is not one of flarewatch, ocsf (or empty for sinks.format)`},
		{"webhook negative throttle", withHTTPSinks(func(s *Sinks) {
			s.Webhook.Throttle = Duration(-time.Minute)
		}), "sinks.webhook.throttle: must not be negative, got -1m: 0 turns it off"},
		{"form checked while off", func(c *Config) { c.Sinks.Sentinel.Form = "OCSF" },
			`sinks.sentinel.form: "OCSF" is not one of flarewatch, ocsf`},

		// retry
		{"retry zero", withHTTPSinks(func(s *Sinks) { s.Webhook.Retry.Initial = 0 }),
			"sinks.webhook.retry.initial: must be positive, got 0s"},
		{"retry max below initial", withHTTPSinks(func(s *Sinks) {
			s.SplunkHEC.Retry.Max = Duration(100 * time.Millisecond)
		}), "sinks.splunk_hec.retry.max: 100ms is less than sinks.splunk_hec.retry.initial (500ms): " +
			"raise it to at least initial"},
		{"retry budget within initial", withHTTPSinks(func(s *Sinks) {
			s.Sentinel.Retry.Budget = Duration(500 * time.Millisecond)
		}), "sinks.sentinel.retry.budget: 500ms does not exceed sinks.sentinel.retry.initial (500ms), " +
			"so a failed request would never be retried: raise it, e.g. to 1m"},

		// splunk_hec
		{"hec without token", withHTTPSinks(func(s *Sinks) { s.SplunkHEC.Token = "" }),
			"sinks.splunk_hec.token: required while sinks.splunk_hec.url is set: set it in the file " +
				"or FLAREWATCH_SINKS_SPLUNK_HEC_TOKEN"},
		{"hec collector path", withHTTPSinks(func(s *Sinks) {
			s.SplunkHEC.URL = "https://splunk:8088/services/collector/event"
		}), `sinks.splunk_hec.url: "https://splunk:8088/services/collector/event" names a collector ` +
			`path: give the HEC base, e.g. https://splunk.example.com:8088; the sink adds ` +
			`/services/collector/event`},
		{"hec channel", withHTTPSinks(func(s *Sinks) { s.SplunkHEC.Channel = "flarewatch" }),
			`sinks.splunk_hec.channel: "flarewatch" is not a GUID`},

		// sentinel
		{"sentinel endpoint", withHTTPSinks(func(s *Sinks) { s.Sentinel.Endpoint = "dce.azure.com" }),
			`sinks.sentinel.endpoint: "dce.azure.com" is not an http(s) URL, e.g. ` +
				`https://my-dce-a1b2.westeurope-1.ingest.monitor.azure.com`},
		{"sentinel without secret", withHTTPSinks(func(s *Sinks) { s.Sentinel.ClientSecret = "" }),
			"sinks.sentinel.client_secret: required while sinks.sentinel.endpoint is set: set it in " +
				"the file or FLAREWATCH_SINKS_SENTINEL_CLIENT_SECRET"},
		{"sentinel without dcr", withHTTPSinks(func(s *Sinks) { s.Sentinel.DCRImmutableID = "" }),
			"sinks.sentinel.dcr_immutable_id: required while sinks.sentinel.endpoint is set"},
		{"sentinel dcr name", withHTTPSinks(func(s *Sinks) { s.Sentinel.DCRImmutableID = "my-dcr" }),
			`sinks.sentinel.dcr_immutable_id: "my-dcr" is not a rule's immutable id: copy ` +
				`immutableId (dcr-…) from the data collection rule's JSON view`},
		{"sentinel without stream", withHTTPSinks(func(s *Sinks) { s.Sentinel.Stream = "" }),
			"sinks.sentinel.stream: required while sinks.sentinel.endpoint is set"},
		{"sentinel without tenant", withHTTPSinks(func(s *Sinks) { s.Sentinel.TenantID = "" }),
			"sinks.sentinel.tenant_id: required while sinks.sentinel.endpoint is set"},
		{"sentinel without client", withHTTPSinks(func(s *Sinks) { s.Sentinel.ClientID = "" }),
			"sinks.sentinel.client_id: required while sinks.sentinel.endpoint is set"},
		{"sentinel token url", withHTTPSinks(func(s *Sinks) { s.Sentinel.TokenURL = "login/{tenant}" }),
			`sinks.sentinel.token_url: "login/{tenant}" is not an http(s) URL, e.g. ` +
				`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`},
		{"sentinel over the api limit", withHTTPSinks(func(s *Sinks) { s.Sentinel.MaxBytes = 1 << 20 }),
			"sinks.sentinel.max_bytes: 1048576 exceeds the 1000000 bytes the destination takes in " +
				"one request: lower it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			if !hasProblem(err, tt.want) {
				t.Errorf("Validate() =\n%v\nwant a problem starting %q", err, tt.want)
			}
		})
	}
}

func TestSinksForms(t *testing.T) {
	s := Default().Sinks
	if got := s.FormOf(""); got != FormatFlarewatch {
		t.Errorf("FormOf(\"\") = %q, want sinks.format %q", got, FormatFlarewatch)
	}
	s.Format = FormatOCSF
	if got := s.FormOf(FormatFlarewatch); got != FormatFlarewatch {
		t.Errorf("FormOf(flarewatch) = %q, want the sink's own form", got)
	}
	if s.HTTPOn() {
		t.Error("HTTPOn() with no url set")
	}
	s.SplunkHEC.URL = "https://splunk:8088"
	if !s.HTTPOn() {
		t.Error("HTTPOn() false with splunk_hec.url set")
	}
}

func TestSentinelTokenEndpoint(t *testing.T) {
	s := Default().Sinks.Sentinel
	s.TenantID = "a b"
	want := "https://login.microsoftonline.com/a%20b/oauth2/v2.0/token"
	if got := s.TokenEndpoint(); got != want {
		t.Errorf("TokenEndpoint() = %q, want %q", got, want)
	}
}
