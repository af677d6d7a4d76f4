package config

import (
	"regexp"
	"strings"
)

// sinkMinBytes is the least max_bytes an HTTP sink takes: below it, an alert
// document carrying max_list_items devices and addresses may not fit in one
// request and would be dead-lettered.
const sinkMinBytes = 64 << 10

func (s Sinks) validate(p *problems) {
	oneOf(p, "sinks.format", s.Format, FormatFlarewatch, FormatOCSF)
	if !s.Kafka && !s.Stdout && s.File == "" && !s.HTTPOn() {
		p.add("sinks", "no sink enabled: set sinks.kafka or sinks.stdout to true, or sinks.file "+
			"to a path, or turn on an HTTP sink with sinks.webhook.url, sinks.splunk_hec.url or "+
			"sinks.sentinel.endpoint")
	}

	// The HTTP sinks share one file for the alerts their destinations
	// refuse; without it a refusal would stall the pipeline.
	if on := s.httpOnSettings(); len(on) > 0 && s.DeadLetterFile == "" {
		verb := " is set"
		if len(on) > 1 {
			verb = " are set"
		}
		required(p, "sinks.dead_letter_file", "while "+strings.Join(on, ", ")+verb)
	}
	if s.DeadLetterFile != "" && s.DeadLetterFile == s.File {
		p.add("sinks.dead_letter_file", "%q is also sinks.file: give refused alerts a file "+
			"of their own", s.DeadLetterFile)
	}

	s.Webhook.validate(p)
	s.SplunkHEC.validate(p)
	s.Sentinel.validate(p)
}

// httpOnSettings names the settings that turn the HTTP sinks on, for the
// sinks that are on.
func (s Sinks) httpOnSettings() []string {
	var on []string
	if s.Webhook.On() {
		on = append(on, "sinks.webhook.url")
	}
	if s.SplunkHEC.On() {
		on = append(on, "sinks.splunk_hec.url")
	}
	if s.Sentinel.On() {
		on = append(on, "sinks.sentinel.endpoint")
	}
	return on
}

func (w Webhook) validate(p *problems) {
	const prefix = "sinks.webhook"
	validateHTTPSink(p, prefix, w.Form, w.Throttle, w.Retry, w.MaxBytes, 0)
	if w.MaxBatch < 0 {
		p.add(prefix+".max_batch", "must not be negative, got %d: 0 means no cap", w.MaxBatch)
	}
	switch {
	case w.AuthHeader == "" && w.AuthValue != "":
		p.add(prefix+".auth_header", "empty, but auth_value is set: name the header, "+
			"e.g. Authorization")
	case w.AuthHeader != "" && !isHeaderName(w.AuthHeader):
		p.add(prefix+".auth_header", "%q is not an HTTP header name, e.g. Authorization",
			w.AuthHeader)
	}
	if !w.On() {
		return
	}
	httpURLLike(p, prefix+".url", w.URL, "https://soar.example.com/hooks/flarewatch")
	if w.AuthHeader != "" && w.AuthValue == "" {
		p.add(prefix+".auth_value", "required while sinks.webhook.url is set and auth_header "+
			"is %s: set it in the file or %s, or set auth_header to \"\" for a receiver that "+
			"takes no auth header", w.AuthHeader, EnvName(prefix+".auth_value"))
	}
}

// guid matches a GUID, the form of a HEC channel.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

func (h SplunkHEC) validate(p *problems) {
	const prefix = "sinks.splunk_hec"
	validateHTTPSink(p, prefix, h.Form, h.Throttle, h.Retry, h.MaxBytes, 0)
	if h.Channel != "" && !guid.MatchString(h.Channel) {
		p.add(prefix+".channel", "%q is not a GUID, e.g. 0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d: "+
			"use one for a token with indexer acknowledgement, or \"\"", h.Channel)
	}
	if !h.On() {
		return
	}
	const base = "https://splunk.example.com:8088"
	if u := httpURLLike(p, prefix+".url", h.URL, base); u != nil &&
		strings.Contains(u.Path, "/services/collector") {
		p.add(prefix+".url", "%q names a collector path: give the HEC base, e.g. %s; "+
			"the sink adds /services/collector/event", h.URL, base)
	}
	if h.Token == "" {
		required(p, prefix+".token", "while sinks.splunk_hec.url is set")
	}
}

func (s Sentinel) validate(p *problems) {
	const prefix = "sinks.sentinel"
	validateHTTPSink(p, prefix, s.Form, s.Throttle, s.Retry, s.MaxBytes, SentinelMaxBytes)
	if !s.On() {
		return
	}
	httpURLLike(p, prefix+".endpoint", s.Endpoint,
		"https://my-dce-a1b2.westeurope-1.ingest.monitor.azure.com")
	httpURLLike(p, prefix+".token_url", s.TokenURL, azureTokenURL)

	const when = "while sinks.sentinel.endpoint is set"
	for _, f := range []struct{ field, value string }{
		{prefix + ".dcr_immutable_id", s.DCRImmutableID},
		{prefix + ".stream", s.Stream},
		{prefix + ".client_id", s.ClientID},
		{prefix + ".client_secret", s.ClientSecret.Reveal()},
		{prefix + ".scope", s.Scope},
	} {
		if f.value == "" {
			required(p, f.field, when)
		}
	}
	if s.TenantID == "" && strings.Contains(s.TokenURL, TenantPlaceholder) {
		required(p, prefix+".tenant_id", when)
	}
	if s.DCRImmutableID != "" && !strings.HasPrefix(s.DCRImmutableID, "dcr-") {
		p.add(prefix+".dcr_immutable_id", "%q is not a rule's immutable id: copy immutableId "+
			"(dcr-…) from the data collection rule's JSON view", s.DCRImmutableID)
	}
}

// validateHTTPSink checks the settings every HTTP sink has, whether it is
// on or not. limit, when positive, is the most the destination takes in
// one request.
func validateHTTPSink(p *problems, prefix, form string, throttle Duration, r Retry,
	maxBytes, limit int) {
	if form != "" && form != FormatFlarewatch && form != FormatOCSF {
		p.add(prefix+".form", "%q is not one of %s, %s (or empty for sinks.format)",
			form, FormatFlarewatch, FormatOCSF)
	}
	nonNegative(p, prefix+".throttle", throttle)
	switch {
	case maxBytes < sinkMinBytes:
		p.add(prefix+".max_bytes", "%d is under 65536 (64 KiB): an alert document may not "+
			"fit in one request; raise it", maxBytes)
	case limit > 0 && maxBytes > limit:
		p.add(prefix+".max_bytes", "%d exceeds the %d bytes the destination takes in one "+
			"request: lower it", maxBytes, limit)
	}
	r.validate(p, prefix+".retry")
}

func (r Retry) validate(p *problems, prefix string) {
	positive(p, prefix+".initial", r.Initial)
	positive(p, prefix+".max", r.Max)
	positive(p, prefix+".budget", r.Budget)
	if r.Initial <= 0 {
		return
	}
	if r.Max > 0 && r.Max < r.Initial {
		p.add(prefix+".max", "%s is less than %s.initial (%s): raise it to at least initial",
			r.Max, prefix, r.Initial)
	}
	if r.Budget > 0 && r.Budget <= r.Initial {
		p.add(prefix+".budget", "%s does not exceed %s.initial (%s), so a failed request "+
			"would never be retried: raise it, e.g. to 1m", r.Budget, prefix, r.Initial)
	}
}

// isHeaderName reports whether s is an HTTP header field name: a token of
// RFC 9110.
func isHeaderName(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
