package sinks

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// An HTTP sink's deliveries, retries, refusals and a throttle's drops reach
// the metrics, by sink.
func TestObserveHTTP(t *testing.T) {
	dead, _ := deadLetters(t)
	s, fake, _ := newWebhook(t, WebhookConfig{DeadLetters: dead, MaxBatch: 1})
	throttle := NewThrottle(s, time.Hour)

	reader := sdkmetric.NewManualReader()
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = meters.Shutdown(context.Background()) })
	if err := ObserveHTTP(meters.Meter("test"), throttle); err != nil {
		t.Fatal(err)
	}

	// Three creates: the first retried once after a 503, the second
	// refused for good; then two updates of one hash, the second dropped.
	fake.add(answer{status: 503}, answer{status: 202}, answer{status: 400, body: `{"error":"schema"}`})
	if err := throttle.Publish(context.Background(), alertBatch(3)); err != nil {
		t.Fatal(err)
	}
	update := alertBatch(1)[0]
	update.Activity = ActivityUpdate
	for range 2 {
		if err := throttle.Publish(context.Background(), []Alert{update}); err != nil {
			t.Fatal(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, _ := p.Attributes.Value("sink"); v.AsString() != "webhook" {
					t.Errorf("%s: sink %q", m.Name, v.AsString())
				}
				got[m.Name] = p.Value
			}
		}
	}
	want := map[string]int64{"flarewatch.sink.delivered": 3, "flarewatch.sink.requests": 5,
		"flarewatch.sink.retries": 1, "flarewatch.sink.refused": 1, "flarewatch.sink.suppressed": 1}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %d, want %d (all: %v)", name, got[name], v, got)
		}
	}
}
