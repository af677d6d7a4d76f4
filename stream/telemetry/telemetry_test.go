package telemetry_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/telemetry"
)

// setup starts telemetry and serves its handler; both stop with the test.
func setup(t *testing.T, o telemetry.Options, ready telemetry.ReadyFunc) (
	*telemetry.Telemetry, *httptest.Server) {
	t.Helper()
	tel, err := telemetry.Setup(context.Background(), o)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	srv := httptest.NewServer(tel.Handler(ready))
	t.Cleanup(func() {
		srv.Close()
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel, srv
}

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// scrape returns every sample of /metrics by its series, `name{labels}` as
// printed (labels sorted by name).
func scrape(t *testing.T, srv *httptest.Server) map[string]float64 {
	t.Helper()
	code, body := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d: %s", code, body)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// hasFamily reports whether some series is named name.
func hasFamily(samples map[string]float64, name string) bool {
	for s := range samples {
		if s == name || strings.HasPrefix(s, name+"{") {
			return true
		}
	}
	return false
}

func TestCounterMovesBetweenScrapes(t *testing.T) {
	_, srv := setup(t, telemetry.Options{}, nil)

	// The pipeline's own instruments come from the global provider.
	_ = stream.NewMetrics(nil)
	records, err := otel.Meter("test").Int64Counter("flarewatch.records")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	network := metric.WithAttributes(attribute.String("category", "DeviceNetworkEvents"))
	const series = `flarewatch_records_total{category="DeviceNetworkEvents"}`

	records.Add(ctx, 3, network)
	if got := scrape(t, srv)[series]; got != 3 {
		t.Fatalf("first scrape: %s = %v, want 3", series, got)
	}
	records.Add(ctx, 2, network)
	if got := scrape(t, srv)[series]; got != 5 {
		t.Fatalf("second scrape: %s = %v, want 5", series, got)
	}
}

// TestPrometheusNames pins the names the instruments of stream/metrics.go,
// the range refresher and this package have in Prometheus, which
// docs/operations.md lists.
func TestPrometheusNames(t *testing.T) {
	tel, srv := setup(t, telemetry.Options{}, nil)
	ctx := context.Background()
	m := otel.Meter("names")
	counters := []struct{ otel, prom string }{
		{"flarewatch.records", "flarewatch_records_total"},
		{"flarewatch.records.dropped", "flarewatch_records_dropped_total"},
		{"flarewatch.candidates", "flarewatch_candidates_total"},
		{"flarewatch.state.outcomes", "flarewatch_state_outcomes_total"},
		{"flarewatch.alerts", "flarewatch_alerts_total"},
		{"flarewatch.dead_letters", "flarewatch_dead_letters_total"},
		{"flarewatch.retries", "flarewatch_retries_total"},
		{"flarewatch.enrichment", "flarewatch_enrichment_total"},
		{"flarewatch.ranges.rejected", "flarewatch_ranges_rejected_total"},
		{"flarewatch.ranges.refreshes", "flarewatch_ranges_refreshes_total"},
	}
	for _, c := range counters {
		ctr, err := m.Int64Counter(c.otel)
		if err != nil {
			t.Fatal(err)
		}
		ctr.Add(ctx, 1)
	}
	tel.RecordRedisLatency(ctx, "get", time.Millisecond, nil)
	tel.RecordProduceLatency(ctx, "flarewatch-alerts", 3*time.Millisecond, nil)
	if err := tel.ObserveLag(func(context.Context) (map[string]map[int32]int64, error) {
		return map[string]map[int32]int64{"mde-events": {0: 1}}, nil
	}); err != nil {
		t.Fatal(err)
	}

	if err := sinks.ObserveHTTP(nil, fakeHTTPSink{}); err != nil {
		t.Fatal(err)
	}

	samples := scrape(t, srv)
	for _, c := range counters {
		if samples[c.prom] != 1 {
			t.Errorf("%s: %s = %v, want 1", c.otel, c.prom, samples[c.prom])
		}
	}
	for _, name := range []string{"delivered", "requests", "retries", "refused", "suppressed"} {
		series := `flarewatch_sink_` + name + `_total{sink="webhook"}`
		if samples[series] != 1 {
			t.Errorf("%s = %v, want 1", series, samples[series])
		}
	}
	for _, name := range []string{
		"flarewatch_redis_latency_seconds_bucket",
		"flarewatch_redis_latency_seconds_count",
		"flarewatch_kafka_produce_latency_seconds_sum",
		"flarewatch_consumer_lag",
		"go_goroutines", "process_cpu_seconds_total", "target_info",
	} {
		if !hasFamily(samples, name) {
			t.Errorf("no %s in /metrics", name)
		}
	}
}

// fakeHTTPSink reports one of everything.
type fakeHTTPSink struct{}

func (fakeHTTPSink) Name() string { return "webhook" }
func (fakeHTTPSink) Stats() sinks.Stats {
	return sinks.Stats{Delivered: 1, Requests: 1, Retries: 1, DeadLettered: 1, Suppressed: 1}
}

func TestHealthAndReadiness(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	_, srv := setup(t, telemetry.Options{}, func(ctx context.Context) error {
		if broken.Load() {
			return errRedisDown
		}
		return nil
	})

	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	code, body := get(t, srv.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, errRedisDown.Error()) {
		t.Errorf("/readyz while broken = %d %q, want 503 naming the cause", code, body)
	}
	broken.Store(false)
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz when ready = %d, want 200", code)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errRedisDown = testError("redis: connection refused")

func TestReadyWithoutFunc(t *testing.T) {
	_, srv := setup(t, telemetry.Options{}, nil)
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with no ready func = %d, want 200", code)
	}
}

func TestObserveLagReplacesSource(t *testing.T) {
	tel, srv := setup(t, telemetry.Options{}, nil)
	lagOf := func(m map[string]map[int32]int64) telemetry.LagFunc {
		return func(context.Context) (map[string]map[int32]int64, error) { return m, nil }
	}

	if err := tel.ObserveLag(lagOf(map[string]map[int32]int64{"mde-events": {0: 42, 1: 7}})); err != nil {
		t.Fatal(err)
	}
	samples := scrape(t, srv)
	if got := samples[`flarewatch_consumer_lag{partition="0",topic="mde-events"}`]; got != 42 {
		t.Errorf("lag of partition 0 = %v, want 42", got)
	}
	if got := samples[`flarewatch_consumer_lag{partition="1",topic="mde-events"}`]; got != 7 {
		t.Errorf("lag of partition 1 = %v, want 7", got)
	}

	if err := tel.ObserveLag(lagOf(map[string]map[int32]int64{"mde-events": {0: 5}})); err != nil {
		t.Fatal(err)
	}
	samples = scrape(t, srv)
	if got := samples[`flarewatch_consumer_lag{partition="0",topic="mde-events"}`]; got != 5 {
		t.Errorf("lag of partition 0 after replacing the source = %v, want 5", got)
	}
	if _, ok := samples[`flarewatch_consumer_lag{partition="1",topic="mde-events"}`]; ok {
		t.Error("the replaced source still reports partition 1")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	tel, err := telemetry.Setup(context.Background(), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel.Serve(ctx, ln, nil) }()

	if code, _ := get(t, "http://"+ln.Addr().String()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestOTLPExport(t *testing.T) {
	var mu sync.Mutex
	posts := map[string]int{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		posts[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()

	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Options{
		OTLPEndpoint: collector.URL, OTLPInterval: time.Hour, TraceSampleRatio: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := otel.Meter("otlp").Int64Counter("flarewatch.alerts")
	if err != nil {
		t.Fatal(err)
	}
	ctr.Add(ctx, 1)
	_, span := otel.Tracer("otlp").Start(ctx, "test span")
	span.End()

	// Shutdown flushes both: the interval is far away.
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"POST /v1/metrics", "POST /v1/traces"} {
		if posts[want] == 0 {
			t.Errorf("collector got no %s; got %v", want, posts)
		}
	}
}

func TestSetupRejectsBadEndpoint(t *testing.T) {
	for _, endpoint := range []string{"collector:4318", "ftp://collector", "http://"} {
		if tel, err := telemetry.Setup(context.Background(),
			telemetry.Options{OTLPEndpoint: endpoint}); err == nil {
			_ = tel.Shutdown(context.Background())
			t.Errorf("Setup with OTLP endpoint %q succeeded", endpoint)
		}
	}
}
