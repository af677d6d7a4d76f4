package ranges_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/ranges"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// cloudflare is a fake of GET /client/v4/ips: it serves one answer at a
// time and honours If-None-Match against the answer's entity tag.
type cloudflare struct {
	mu          sync.Mutex
	status      int
	body        string
	etag        string // entity tag compared with If-None-Match, quoted
	header      string // ETag response header; "" sends none
	ifNoneMatch []string
}

func (c *cloudflare) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	inm := r.Header.Get("If-None-Match")
	c.ifNoneMatch = append(c.ifNoneMatch, inm)
	if c.header != "" {
		w.Header().Set("ETag", c.header)
	}
	if inm != "" && inm == c.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(c.status)
	_, _ = w.Write([]byte(c.body))
}

// serve makes c answer with a valid list of cidrs under etag.
func (c *cloudflare) serve(etag string, cidrs ...string) {
	var v4, v6 []string
	for _, s := range cidrs {
		if strings.Contains(s, ":") {
			v6 = append(v6, s)
		} else {
			v4 = append(v4, s)
		}
	}
	body, _ := json.Marshal(map[string]any{
		"result":   map[string]any{"ipv4_cidrs": v4, "ipv6_cidrs": v6, "etag": etag},
		"success":  true,
		"errors":   []any{},
		"messages": []any{},
	})
	c.serveRaw(http.StatusOK, string(body), `"`+etag+`"`)
}

func (c *cloudflare) serveRaw(status int, body, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status, c.body, c.etag = status, body, etag
}

// lastIfNoneMatch returns the If-None-Match of the latest request.
func (c *cloudflare) lastIfNoneMatch() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ifNoneMatch[len(c.ifNoneMatch)-1]
}

// fixture is a Refresher feeding a rule from a fake Cloudflare, with its
// metrics read by hand.
type fixture struct {
	cf       *cloudflare
	rule     *rule.Rule
	ref      *ranges.Refresher
	reader   *sdkmetric.ManualReader
	mu       sync.Mutex
	applied  []string // versions
	rejected []error
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{cf: &cloudflare{}, reader: sdkmetric.NewManualReader()}
	srv := httptest.NewServer(f.cf)
	t.Cleanup(srv.Close)
	f.rule = rule.New(rule.Default, config.BundledCloudflare())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	f.ref = ranges.NewRefresher(ranges.Options{
		URL:        srv.URL + "/client/v4/ips",
		Interval:   10 * time.Millisecond,
		HTTPClient: srv.Client(),
		Apply: func(s *config.RangeSet) {
			f.rule.SetRanges(s)
			f.mu.Lock()
			f.applied = append(f.applied, s.Version)
			f.mu.Unlock()
		},
		OnReject: func(err error) {
			f.mu.Lock()
			f.rejected = append(f.rejected, err)
			f.mu.Unlock()
		},
		Meter: mp.Meter("test"),
	})
	return f
}

func (f *fixture) refresh(t *testing.T) (bool, error) {
	t.Helper()
	return f.ref.RefreshOnce(context.Background())
}

func (f *fixture) counts() (applied, rejected int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.applied), len(f.rejected)
}

// metric returns the value of counter name with attribute key=value.
func (f *fixture) metric(t *testing.T, name, key, value string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || m.Name != name {
				continue
			}
			for _, dp := range sum.DataPoints {
				if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == value {
					return dp.Value
				}
			}
		}
	}
	return 0
}

var (
	oldOnly = netip.MustParseAddr("104.16.1.1")
	newOnly = netip.MustParseAddr("203.0.113.5") // a documentation range, never Cloudflare's
	listA   = []string{"104.16.0.0/13", "2606:4700::/32"}
	listB   = []string{"104.16.0.0/13", "2606:4700::/32", "203.0.113.0/24"}
)

func TestRefreshAppliesNewList(t *testing.T) {
	f := newFixture(t)

	f.cf.serve("a1", listA...)
	if changed, err := f.refresh(t); !changed || err != nil {
		t.Fatalf("first poll = %v, %v; want changed", changed, err)
	}
	if v := f.rule.Ranges().Version; v != "cloudflare-etag-a1" {
		t.Errorf("version = %q, want cloudflare-etag-a1", v)
	}
	if !f.rule.Ranges().Contains(oldOnly) || f.rule.Ranges().Contains(newOnly) {
		t.Fatal("list A not in force")
	}

	// Unchanged: the etag comes back as If-None-Match and the answer is 304.
	if changed, err := f.refresh(t); changed || err != nil {
		t.Fatalf("poll of an unchanged list = %v, %v; want unchanged", changed, err)
	}
	if got := f.cf.lastIfNoneMatch(); got != `"a1"` {
		t.Errorf("If-None-Match = %q, want %q", got, `"a1"`)
	}
	if got := f.metric(t, "flarewatch.ranges.refreshes", "result", "not_modified"); got != 1 {
		t.Errorf("not_modified polls = %d, want 1", got)
	}

	// Changed: the new list takes effect.
	f.cf.serve("b2", listB...)
	if changed, err := f.refresh(t); !changed || err != nil {
		t.Fatalf("poll of a changed list = %v, %v; want changed", changed, err)
	}
	if !f.rule.Ranges().Contains(newOnly) {
		t.Errorf("%v, only in the new list, is not watched", newOnly)
	}
	if v := f.rule.Ranges().Version; v != "cloudflare-etag-b2" {
		t.Errorf("version = %q, want cloudflare-etag-b2", v)
	}
	if applied, rejected := f.counts(); applied != 2 || rejected != 0 {
		t.Errorf("Apply called %d times, OnReject %d; want 2, 0", applied, rejected)
	}
}

func TestRefreshRejectsBrokenList(t *testing.T) {
	ok := func(result string) string {
		return `{"result":` + result + `,"success":true,"errors":[],"messages":[]}`
	}
	cases := []struct {
		name   string
		status int
		body   string
		reason string
	}{
		{"prefix length 33", 200,
			ok(`{"ipv4_cidrs":["104.16.0.0/33"],"ipv6_cidrs":[],"etag":"bad1"}`),
			ranges.ReasonInvalidRange},
		{"not a prefix", 200,
			ok(`{"ipv4_cidrs":["104.16.0.0/13"],"ipv6_cidrs":["cloudflare"],"etag":"bad2"}`),
			ranges.ReasonInvalidRange},
		{"success false", 200,
			`{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[]}`,
			ranges.ReasonAPIError},
		{"success missing", 200,
			`{"result":{"ipv4_cidrs":["104.16.0.0/13"],"etag":"bad3"}}`, ranges.ReasonAPIError},
		{"html from a proxy", 200,
			"<html><body><h1>502 Bad Gateway</h1></body></html>", ranges.ReasonNotJSON},
		{"truncated", 200, `{"result":{"ipv4_cidrs":["104.16.0.0/13"`, ranges.ReasonNotJSON},
		{"empty lists", 200, ok(`{"ipv4_cidrs":[],"ipv6_cidrs":[],"etag":"bad4"}`), ranges.ReasonEmpty},
		{"no result", 200, ok(`null`), ranges.ReasonEmpty},
		{"server error", 503, "upstream unavailable", ranges.ReasonStatus},
		{"rate limited", 429, `{"success":false}`, ranges.ReasonStatus},
	}

	f := newFixture(t)
	f.cf.serve("b2", listB...)
	if changed, err := f.refresh(t); !changed || err != nil {
		t.Fatalf("first poll = %v, %v; want changed", changed, err)
	}
	good := f.rule.Ranges()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.cf.serveRaw(c.status, c.body, `"never matches"`)
			changed, err := f.refresh(t)
			if changed {
				t.Error("a broken answer was applied")
			}
			var rej *ranges.RejectError
			if !errors.Is(err, ranges.ErrRejected) || !errors.As(err, &rej) || rej.Reason != c.reason {
				t.Fatalf("err = %v, want a rejection for %s", err, c.reason)
			}
			if f.rule.Ranges() != good || !f.rule.Ranges().Contains(newOnly) {
				t.Error("the last good list was replaced")
			}
			if applied, rejected := f.counts(); applied != 1 || rejected != i+1 {
				t.Errorf("Apply called %d times, OnReject %d; want 1, %d", applied, rejected, i+1)
			}
		})
	}
	if got := f.metric(t, "flarewatch.ranges.rejected", "reason", ranges.ReasonInvalidRange); got != 2 {
		t.Errorf("rejected with reason invalid_range = %d, want 2", got)
	}
	if got := f.metric(t, "flarewatch.ranges.rejected", "reason", ranges.ReasonNotJSON); got != 2 {
		t.Errorf("rejected with reason not_json = %d, want 2", got)
	}

	// A rejected answer does not move the etag: the good list's is sent.
	f.cf.serve("b2", listB...)
	if changed, err := f.refresh(t); changed || err != nil {
		t.Fatalf("poll after the rejections = %v, %v; want unchanged", changed, err)
	}
	if got := f.cf.lastIfNoneMatch(); got != `"b2"` {
		t.Errorf("If-None-Match = %q, want the last good etag", got)
	}
}

func TestRefreshPrefersETagHeader(t *testing.T) {
	f := newFixture(t)
	f.cf.serve("a1", listA...)
	f.cf.mu.Lock()
	f.cf.header, f.cf.etag = `W/"abc"`, `W/"abc"`
	f.cf.mu.Unlock()

	if changed, err := f.refresh(t); !changed || err != nil {
		t.Fatalf("first poll = %v, %v", changed, err)
	}
	if changed, err := f.refresh(t); changed || err != nil {
		t.Fatalf("second poll = %v, %v; want 304", changed, err)
	}
	if got := f.cf.lastIfNoneMatch(); got != `W/"abc"` {
		t.Errorf("If-None-Match = %q, want the ETag header", got)
	}
}

func TestRefreshSameEtagWithout304(t *testing.T) {
	f := newFixture(t)
	f.cf.serve("a1", listA...)
	if _, err := f.refresh(t); err != nil {
		t.Fatal(err)
	}
	f.cf.serveRaw(http.StatusOK, f.cf.body, `"ignored"`) // a server without If-None-Match
	if changed, err := f.refresh(t); changed || err != nil {
		t.Fatalf("same etag again = %v, %v; want unchanged", changed, err)
	}
	if applied, _ := f.counts(); applied != 1 {
		t.Errorf("Apply called %d times, want 1", applied)
	}
}

func TestRefreshWithoutEtag(t *testing.T) {
	f := newFixture(t)
	f.cf.serve("", listA...)
	if changed, err := f.refresh(t); !changed || err != nil {
		t.Fatalf("poll = %v, %v", changed, err)
	}
	if v := f.rule.Ranges().Version; !strings.HasPrefix(v, ranges.ContentVersionPrefix) {
		t.Errorf("version = %q, want a content version", v)
	}
	if got := f.cf.lastIfNoneMatch(); got != "" {
		t.Errorf("If-None-Match = %q on the first poll", got)
	}
}

func TestRunPollsUntilCancelled(t *testing.T) {
	f := newFixture(t)
	f.cf.serve("a1", listA...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.ref.Run(ctx) }()

	waitFor(t, "list A applied", func() bool { return f.rule.Ranges().Version == "cloudflare-etag-a1" })
	f.cf.serve("b2", listB...)
	waitFor(t, "list B applied", func() bool { return f.rule.Ranges().Contains(newOnly) })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestRunSurvivesUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now

	var rejected int
	ref := ranges.NewRefresher(ranges.Options{
		URL:      url,
		Apply:    func(*config.RangeSet) { t.Error("Apply called") },
		OnReject: func(error) { rejected++ },
	})
	changed, err := ref.RefreshOnce(context.Background())
	if changed || err == nil || errors.Is(err, ranges.ErrRejected) {
		t.Errorf("RefreshOnce = %v, %v; want a transport error", changed, err)
	}
	if rejected != 0 {
		t.Error("OnReject called for a transport error")
	}
}

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ExampleRefresher() {
	r := rule.New(rule.Default, config.BundledCloudflare())
	ref := ranges.NewRefresher(ranges.Options{
		Interval: 6 * time.Hour,
		Apply:    r.SetRanges,
		OnReject: func(err error) { fmt.Println("kept the last good list:", err) },
	})
	_ = ref // go ref.Run(ctx) beside the consumer
	// Output:
}
