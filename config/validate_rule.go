package config

import (
	"net/url"
	"strings"
	"time"
)

func (r Rule) validate(p *problems) {
	oneOf(p, "rule.profile", r.Profile, ProfileDefault, ProfileKQLParity)

	positive(p, "rule.lookback", r.Lookback)
	positive(p, "rule.dedup_window", r.DedupWindow)
	nonNegative(p, "rule.allowed_lateness", r.AllowedLateness)
	nonNegative(p, "rule.cert_grace", r.CertGrace)
	nonNegative(p, "rule.update_interval", r.UpdateInterval)
	if r.Ranges.RefreshURL != "" {
		httpURL(p, "rule.ranges.refresh_url", r.Ranges.RefreshURL)
		if r.Ranges.RefreshInterval.Std() < time.Minute {
			p.add("rule.ranges.refresh_interval", "%s is under 1m: use e.g. 1d", r.Ranges.RefreshInterval)
		}
	}
	if r.Lookback > 0 && r.AllowedLateness >= r.Lookback {
		p.add("rule.allowed_lateness", "%s must be shorter than rule.lookback (%s)",
			r.AllowedLateness, r.Lookback)
	}

	// Buckets are aligned on days so that every instance, and a replay,
	// cuts time the same way.
	switch b := r.Bucket; {
	case b <= 0:
		positive(p, "rule.bucket", b)
	case b < Duration(time.Minute):
		p.add("rule.bucket", "%s is under 1m and would make a key per few events: use e.g. 1h", b)
	case day%b.Std() != 0:
		p.add("rule.bucket", "%s does not divide 24h: use e.g. 15m, 1h, 2h or 1d", b)
	case r.Lookback > 0 && b > r.Lookback:
		p.add("rule.bucket", "%s exceeds rule.lookback (%s): "+
			"use a bucket no wider than the window", b, r.Lookback)
	}

	atLeastOne(p, "rule.max_prevalence", r.MaxPrevalence)
	atLeastOne(p, "rule.max_groups", int64(r.MaxGroups))
	atLeastOne(p, "rule.max_list_items", int64(r.MaxListItems))
}

func (e Enrichment) validate(p *problems) {
	oneOf(p, "enrichment.provider", e.Provider, ProviderNone, ProviderFile, ProviderMDE)
	positive(p, "enrichment.cache_ttl", e.CacheTTL)
	positive(p, "enrichment.unknown_ttl", e.UnknownTTL)

	switch e.Provider {
	case ProviderFile:
		if e.File == "" {
			required(p, "enrichment.file", "with enrichment.provider file")
		}
	case ProviderMDE:
		e.MDE.validate(p)
	}
	if e.Provider != ProviderFile && e.File != "" {
		p.add("enrichment.file", "set, but enrichment.provider is %q: "+
			"set provider to file or remove file", e.Provider)
	}
}

// validate checks the mde provider's settings; it runs only when that
// provider is chosen.
func (m MDE) validate(p *problems) {
	const when = "with enrichment.provider mde"
	for _, f := range []struct{ field, value string }{
		{"enrichment.mde.tenant_id", m.TenantID},
		{"enrichment.mde.client_id", m.ClientID},
		{"enrichment.mde.client_secret", m.ClientSecret.Reveal()},
		{"enrichment.mde.scope", m.Scope},
	} {
		if f.value == "" {
			required(p, f.field, when)
		}
	}
	httpURL(p, "enrichment.mde.base_url", m.BaseURL)
	httpURL(p, "enrichment.mde.token_url", m.TokenURL)
	atLeastOne(p, "enrichment.mde.per_minute", int64(m.PerMinute))
	atLeastOne(p, "enrichment.mde.per_hour", int64(m.PerHour))
	if m.PerMinute > m.PerHour && m.PerHour >= 1 {
		p.add("enrichment.mde.per_minute", "%d exceeds enrichment.mde.per_hour (%d)",
			m.PerMinute, m.PerHour)
	}
}

// httpURL reports a value that is not an absolute http or https URL.
func httpURL(p *problems, field, value string) {
	httpURLLike(p, field, value, "https://api.security.microsoft.com")
}

// httpURLLike reports a value that is not an absolute http or https URL,
// with example in the message, and returns the URL when it is one.
// TenantPlaceholder may stand for a path segment.
func httpURLLike(p *problems, field, value, example string) *url.URL {
	u, err := url.Parse(strings.ReplaceAll(value, TenantPlaceholder, "tenant"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.add(field, "%q is not an http(s) URL, e.g. %s", value, example)
		return nil
	}
	return u
}
