package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// The service, run as its command, serves metrics whose counters move as
// records flow, and is ready only once Kafka and Redis answer.
func TestRunServesMovingMetrics(t *testing.T) {
	brokers := testenv.Kafka(t)
	rdb, prefix := testenv.RedisNS(t)
	input := testenv.Topic(t, brokers, 2)
	addr := freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "flarewatch.yaml")
	cfg := fmt.Sprintf(`kafka:
  brokers: [%s]
  topics: [%s]
  group: %s
  alert_topic: %s-alerts
  dead_letter_topic: %s-dead
redis:
  addrs: [%s]
  namespace: %s
metrics:
  listen: %s
log:
  level: warn
shutdown_timeout: 10s
`, strings.Join(brokers, ","), input, input, input, input,
		rdb.(*redis.Client).Options().Addr, strings.TrimSuffix(prefix, ":"), addr)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&runCmd{Config: cfgPath}).Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	base := "http://" + addr
	waitUntil(t, "ready", func() bool { return status(base+"/readyz") == http.StatusOK })
	before := counter(t, base, "flarewatch_records_total")
	msg, err := os.ReadFile("../../stream/testdata/synthetic-eventhub-message.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if err := produce(ctx, brokers, input, [][]byte{msg}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "12 more records counted", func() bool {
		return counter(t, base, "flarewatch_records_total")-before >= 12
	})
	if status(base+"/healthz") != http.StatusOK {
		t.Error("/healthz is not 200")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func status(url string) int {
	resp, err := http.Get(url) //nolint:noctx // a test probe
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// counter sums every series of a counter in a scrape of /metrics.
func counter(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics") //nolint:noctx // a test probe
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + name + `(?:\{[^}]*\})? ([0-9.e+]+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	return sum
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
