package stream

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metrics are the pipeline's counters. Every record that does not reach the
// state is counted here under a reason: nothing is dropped silently.
type Metrics struct {
	records     metric.Int64Counter // by category
	dropped     metric.Int64Counter // by reason
	candidates  metric.Int64Counter
	outcomes    metric.Int64Counter // by state outcome
	alerts      metric.Int64Counter // by activity
	deadLetters metric.Int64Counter // by reason class
	retries     metric.Int64Counter // by operation
	enrichment  metric.Int64Counter // by result
}

// NewMetrics creates the instruments on meter; nil uses the global provider.
func NewMetrics(meter metric.Meter) *Metrics {
	if meter == nil {
		meter = otel.Meter("github.com/flarewatch/flarewatch/stream")
	}
	m := &Metrics{}
	m.records = counter(meter, "flarewatch.records", "records decoded, by category")
	m.dropped = counter(meter, "flarewatch.records.dropped", "records not counted, by reason")
	m.candidates = counter(meter, "flarewatch.candidates", "network events that passed the rule")
	m.outcomes = counter(meter, "flarewatch.state.outcomes", "candidates by what the state did with them")
	m.alerts = counter(meter, "flarewatch.alerts", "alerts published, by activity")
	m.deadLetters = counter(meter, "flarewatch.dead_letters", "messages and records sent to the dead-letter topic")
	m.retries = counter(meter, "flarewatch.retries", "retries after an unavailable dependency, by operation")
	m.enrichment = counter(meter, "flarewatch.enrichment", "FileProfile look-ups, by result")
	return m
}

func counter(meter metric.Meter, name, desc string) metric.Int64Counter {
	c, err := meter.Int64Counter(name, metric.WithDescription(desc))
	if err != nil {
		otel.Handle(err)
	}
	return c
}

// Pre-built options, so that counting on the per-record path does not
// allocate: a slice passed on with ... is not copied, where a single
// option would be wrapped in a new slice that escapes.
var (
	attrCategory = map[string][]metric.AddOption{}
	attrReason   = map[string][]metric.AddOption{}
)

func init() {
	for _, c := range []string{"DeviceNetworkEvents", "DeviceFileCertificateInfo", "other"} {
		attrCategory[c] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("category", c)))}
	}
	for _, r := range []string{"not_system", "address_invalid", "not_watched", "no_hash",
		"bad_hash", "too_old", "signed_cached", "bad_timestamp", "certificate_stale",
		"certificate_no_hash", "certificate_known", "other_category"} {
		attrReason[r] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))}
	}
}

func (m *Metrics) record(ctx context.Context, category string, n int64) {
	m.records.Add(ctx, n, attrCategory[category]...)
}

func (m *Metrics) drop(ctx context.Context, reason string, n int64) {
	opts, ok := attrReason[reason]
	if !ok {
		opts = []metric.AddOption{metric.WithAttributes(attribute.String("reason", reason))}
	}
	m.dropped.Add(ctx, n, opts...)
}

func (m *Metrics) with(c metric.Int64Counter, ctx context.Context, key, value string, n int64) {
	c.Add(ctx, n, metric.WithAttributes(attribute.String(key, value)))
}
