// Package telemetry sets up flarewatch's metrics and traces: an OpenTelemetry
// MeterProvider read by a Prometheus exporter (and pushed over OTLP/HTTP when
// an endpoint is given), installed as the global provider so that every
// instrument created through otel.Meter (stream.NewMetrics(nil), the range
// refresher) is exported; the /metrics, /healthz and /readyz endpoints; and
// the instruments the pipeline does not record itself: Redis and produce
// latency, consumer lag, and the Kafka client's own metrics and spans.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Options configure Setup. The zero value serves Prometheus metrics only.
type Options struct {
	// ServiceName is the resource's service.name; "" is "flarewatch".
	ServiceName string
	// ServiceVersion is the resource's service.version; "" leaves it out.
	ServiceVersion string

	// OTLPEndpoint is the base URL of an OTLP/HTTP collector, such as
	// "http://otel-collector:4318". Metrics are pushed to /v1/metrics and
	// traces to /v1/traces under it. "" turns OTLP, and so tracing, off.
	OTLPEndpoint string
	// OTLPHeaders are sent with every OTLP request (an API key, say).
	OTLPHeaders map[string]string
	// OTLPInterval is how often metrics are pushed; 0 is 30s.
	OTLPInterval time.Duration
	// TraceSampleRatio is the share of traces kept, in (0, 1]; 0 is
	// DefaultTraceSampleRatio. The Kafka hooks start a span per record, so
	// keep it low on a busy topic.
	TraceSampleRatio float64

	// KafkaClientID and KafkaGroup label the Kafka client's spans.
	KafkaClientID string
	KafkaGroup    string

	// Log receives collection errors and failed readiness checks (at
	// debug); nil is slog.Default().
	Log *slog.Logger
}

// DefaultTraceSampleRatio is the share of traces kept when
// Options.TraceSampleRatio is 0.
const DefaultTraceSampleRatio = 0.01

// Telemetry is the process's metrics and traces. Its methods are safe for
// concurrent use.
type Telemetry struct {
	opts     Options
	log      *slog.Logger
	registry *prometheus.Registry
	meters   *sdkmetric.MeterProvider
	tracers  *sdktrace.TracerProvider // nil without OTLP
	meter    metric.Meter

	redisLatency   metric.Float64Histogram
	produceLatency metric.Float64Histogram
	lag            metric.Int64ObservableGauge

	mu      sync.Mutex
	lagStop metric.Registration // the ObserveLag callback in force
}

// Setup builds the providers and installs them as the global ones
// (otel.SetMeterProvider, and otel.SetTracerProvider with OTLP). Call it
// before the pipeline creates its instruments, and Shutdown before exit.
func Setup(ctx context.Context, o Options) (*Telemetry, error) {
	if o.ServiceName == "" {
		o.ServiceName = "flarewatch"
	}
	if o.TraceSampleRatio <= 0 || o.TraceSampleRatio > 1 {
		o.TraceSampleRatio = DefaultTraceSampleRatio
	}
	t := &Telemetry{opts: o, log: o.Log, registry: prometheus.NewRegistry()}
	if t.log == nil {
		t.log = slog.Default()
	}

	res, err := newResource(ctx, o)
	if err != nil {
		return nil, err
	}

	// A registry of our own, not Prometheus's default one, so that nothing
	// else in the process adds to /metrics and a test can call Setup twice.
	t.registry.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	prom, err := otelprom.New(
		otelprom.WithRegisterer(t.registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(prom)}

	if o.OTLPEndpoint != "" {
		reader, tp, err := newOTLP(ctx, o, res)
		if err != nil {
			return nil, err
		}
		mopts = append(mopts, sdkmetric.WithReader(reader))
		t.tracers = tp
		otel.SetTracerProvider(tp)
	}
	t.meters = sdkmetric.NewMeterProvider(mopts...)
	otel.SetMeterProvider(t.meters)

	if err := t.newInstruments(); err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	return t, nil
}

func newResource(ctx context.Context, o Options) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", o.ServiceName)}
	if o.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", o.ServiceVersion))
	}
	res, err := resource.New(ctx, resource.WithAttributes(attrs...),
		resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return res, nil
}

// newOTLP returns the periodic OTLP metric reader and a tracer provider
// exporting to the same collector.
func newOTLP(ctx context.Context, o Options, res *resource.Resource) (
	sdkmetric.Reader, *sdktrace.TracerProvider, error) {
	base, err := url.Parse(o.OTLPEndpoint)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, nil, fmt.Errorf("otlp endpoint %q is not an http(s) URL", o.OTLPEndpoint)
	}
	root := strings.TrimSuffix(base.String(), "/")

	mexp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(root+"/v1/metrics"),
		otlpmetrichttp.WithHeaders(o.OTLPHeaders))
	if err != nil {
		return nil, nil, fmt.Errorf("otlp metric exporter: %w", err)
	}
	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(root+"/v1/traces"),
		otlptracehttp.WithHeaders(o.OTLPHeaders))
	if err != nil {
		return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
	}

	interval := o.OTLPInterval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	reader := sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(interval))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(texp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(o.TraceSampleRatio))),
	)
	return reader, tp, nil
}

// MeterProvider returns the provider Setup installed globally, for code that
// takes one explicitly.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meters }

// Shutdown stops the lag observer, then flushes and stops the providers:
// pending spans and a last OTLP metric push go out before ctx ends. After
// it, instruments record nothing and /metrics serves no OpenTelemetry
// metric.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	t.mu.Lock()
	if t.lagStop != nil {
		errs = append(errs, t.lagStop.Unregister())
		t.lagStop = nil
	}
	t.mu.Unlock()
	if t.tracers != nil {
		errs = append(errs, t.tracers.Shutdown(ctx))
	}
	if t.meters != nil {
		errs = append(errs, t.meters.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
