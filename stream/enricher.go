package stream

import (
	"context"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream/enrich"
)

// Enricher puts the Redis profile cache in front of a FileProfile provider:
// every instance shares the answers, and a provider with a rate limit is
// asked once per hash per cache period.
type Enricher struct {
	provider   enrich.Provider
	store      *state.Store
	metrics    *Metrics
	TTL        time.Duration // how long a known answer is kept
	UnknownTTL time.Duration // how long "unknown" is kept
}

// NewEnricher returns an enricher with the default cache periods.
func NewEnricher(p enrich.Provider, st *state.Store, m *Metrics) *Enricher {
	return &Enricher{provider: p, store: st, metrics: m, TTL: 24 * time.Hour, UnknownTTL: time.Hour}
}

// Provider returns the provider behind the cache.
func (e *Enricher) Provider() enrich.Provider { return e.provider }

// Lookup returns a profile for each hash; Known is false for a hash the
// provider does not know. An error means the provider or Redis could not
// answer now.
func (e *Enricher) Lookup(ctx context.Context, sha1s []string) (map[string]enrich.Profile, error) {
	out := make(map[string]enrich.Profile, len(sha1s))
	if e.provider.Name() == "none" {
		return out, nil
	}
	cached, err := e.store.CachedProfiles(ctx, sha1s)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, h := range sha1s {
		var p enrich.Profile
		if b, ok := cached[h]; ok && json.Unmarshal(b, &p) == nil {
			out[h] = p
			e.metrics.with(e.metrics.enrichment, ctx, "result", "cache_hit", 1)
			continue
		}
		missing = append(missing, h)
	}
	if len(missing) == 0 {
		return out, nil
	}
	answers, err := e.provider.Lookup(ctx, missing)
	if err != nil {
		e.metrics.with(e.metrics.enrichment, ctx, "result", "error", 1)
		return nil, err
	}
	for _, h := range missing {
		p, ok := answers[h]
		ttl := e.TTL
		if !ok || !p.Known {
			p, ttl = enrich.Profile{SHA1: h}, e.UnknownTTL
		}
		out[h] = p
		e.metrics.with(e.metrics.enrichment, ctx, "result", resultName(p.Known), 1)
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if err := e.store.CacheProfile(ctx, h, b, ttl); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func resultName(known bool) string {
	if known {
		return "known"
	}
	return "unknown"
}
