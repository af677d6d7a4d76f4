package sinks

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// HTTPSink is what ObserveHTTP reads of an HTTP sink.
type HTTPSink interface {
	Name() string // "webhook", "splunk_hec", "sentinel"
	Stats() Stats
}

// ObserveHTTP reports the counters of HTTP sinks as metrics on meter (nil:
// the global provider), each by sink: alerts the destination acknowledged,
// requests sent, failed attempts retried, alerts refused for good and
// written to the dead-letter file, which an operator must not miss, and
// updates a throttle dropped. A Throttle in front of a sink reports for it.
func ObserveHTTP(meter metric.Meter, sinks ...HTTPSink) error {
	if len(sinks) == 0 {
		return nil
	}
	if meter == nil {
		meter = otel.Meter("github.com/flarewatch/flarewatch/sinks")
	}
	counters := []struct {
		name, desc string
		value      func(Stats) int64
	}{
		{"flarewatch.sink.delivered", "Alerts an HTTP sink's destination acknowledged.",
			func(s Stats) int64 { return s.Delivered }},
		{"flarewatch.sink.requests", "HTTP requests a sink sent, retries included.",
			func(s Stats) int64 { return s.Requests }},
		{"flarewatch.sink.retries", "Failed attempts of an HTTP sink that were retried.",
			func(s Stats) int64 { return s.Retries }},
		{"flarewatch.sink.refused", "Alerts an HTTP sink's destination refused for good, written to the dead-letter file.",
			func(s Stats) int64 { return s.DeadLettered }},
		{"flarewatch.sink.suppressed", "Updates the throttle in front of an HTTP sink dropped.",
			func(s Stats) int64 { return s.Suppressed }},
	}
	attrs := make([]metric.ObserveOption, len(sinks))
	for i, s := range sinks {
		attrs[i] = metric.WithAttributes(attribute.String("sink", s.Name()))
	}
	var errs []error
	for _, c := range counters {
		_, err := meter.Int64ObservableCounter(c.name, metric.WithDescription(c.desc),
			metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
				for i, s := range sinks {
					o.Observe(c.value(s.Stats()), attrs[i])
				}
				return nil
			}))
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
