// Package ranges keeps the watched Cloudflare ranges current: a Refresher
// polls Cloudflare's published list and hands every new, valid list to the
// rule, keeping the last good one when an answer is broken.
package ranges

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/flarewatch/flarewatch/config"
)

// DefaultURL is Cloudflare's API listing its address ranges.
const DefaultURL = "https://api.cloudflare.com/client/v4/ips"

// DefaultInterval is how often the list is polled when Options.Interval is 0.
// The list changes a few times a year; an unchanged list costs a 304.
const DefaultInterval = time.Hour

// VersionPrefix starts the Version of every list the Refresher applies; the
// etag of the answer follows it.
const VersionPrefix = "cloudflare-etag-"

// ContentVersionPrefix starts the Version of a list whose answer had no
// etag; the start of a SHA-256 of its prefixes follows it.
const ContentVersionPrefix = "cloudflare-sha256-"

// maxBody bounds the answer read: the real one is about 1 KiB.
const maxBody = 1 << 20

// Options configure a Refresher.
type Options struct {
	// URL is polled for the list; "" is DefaultURL. The answer has the
	// Cloudflare API's shape: {"result": {"ipv4_cidrs": [...],
	// "ipv6_cidrs": [...], "etag": "..."}, "success": true, ...}.
	URL string
	// Interval is the time between two polls; 0 is DefaultInterval.
	Interval time.Duration
	// HTTPClient makes the requests; nil is a client with a 30s timeout.
	HTTPClient *http.Client
	// Apply receives every new valid list, on the Refresher's goroutine
	// (rule.Rule.SetRanges fits). Required.
	Apply func(*config.RangeSet)
	// OnReject, if set, receives every answer that was not applied because
	// it was broken: an *RejectError (errors.Is ErrRejected). The last good
	// list stays in force.
	OnReject func(error)
	// Log receives rejections and failed polls at warn; nil is
	// slog.Default().
	Log *slog.Logger
	// Meter creates the refresh counters; nil uses the global provider.
	Meter metric.Meter
}

// Refresher polls the range list and applies each new valid version. It is
// safe for concurrent use; polls do not overlap.
type Refresher struct {
	o      Options
	client *http.Client
	log    *slog.Logger

	rejected  metric.Int64Counter // by reason
	refreshes metric.Int64Counter // by result

	mu      sync.Mutex // serializes polls; guards the fields below
	etag    string     // If-None-Match of the next request
	version string     // Version of the last list applied
}

// NewRefresher returns a Refresher. Nothing is fetched before Run or
// RefreshOnce.
func NewRefresher(o Options) *Refresher {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	r := &Refresher{o: o, client: o.HTTPClient, log: o.Log}
	if r.client == nil {
		r.client = &http.Client{Timeout: 30 * time.Second}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	meter := o.Meter
	if meter == nil {
		meter = otel.Meter("github.com/flarewatch/flarewatch/stream/ranges")
	}
	r.rejected = counter(meter, "flarewatch.ranges.rejected",
		"range list answers rejected, the last good list kept, by reason")
	r.refreshes = counter(meter, "flarewatch.ranges.refreshes",
		"range list polls, by result: applied, unchanged, not_modified, rejected, error")
	return r
}

func counter(meter metric.Meter, name, desc string) metric.Int64Counter {
	c, err := meter.Int64Counter(name, metric.WithDescription(desc))
	if err != nil {
		otel.Handle(err)
	}
	return c
}

// Run polls at once, then every Interval, until ctx ends; it then returns
// nil. A failed poll is logged, counted and retried at the next tick.
func (r *Refresher) Run(ctx context.Context) error {
	tick := time.NewTicker(r.o.Interval)
	defer tick.Stop()
	for {
		_, _ = r.RefreshOnce(ctx) // reported inside
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// RefreshOnce polls the list once. changed is true when Apply received a
// new list. err is an *RejectError for a broken answer (OnReject has been
// called with it), or the transport error of a failed request.
func (r *Refresher) RefreshOnce(ctx context.Context) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()

	res, err := r.poll(ctx)
	r.refreshes.Add(ctx, 1, metric.WithAttributes(attribute.String("result", res)))
	var rej *RejectError
	switch {
	case errors.As(err, &rej):
		r.rejected.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", rej.Reason)))
		r.log.Warn("range list rejected, keeping the last good one",
			"url", r.o.URL, "reason", rej.Reason, "err", err, "version", r.version)
		if r.o.OnReject != nil {
			r.o.OnReject(err)
		}
	case err != nil && ctx.Err() == nil:
		r.log.Warn("range list poll", "url", r.o.URL, "err", err)
	}
	return res == resultApplied, err
}

// The results of a poll, as metric labels.
const (
	resultApplied     = "applied"
	resultUnchanged   = "unchanged"
	resultNotModified = "not_modified"
	resultRejected    = "rejected"
	resultError       = "error"
)

// poll makes one request and applies a new list. r.mu is held.
func (r *Refresher) poll(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.o.URL, nil)
	if err != nil {
		return resultError, fmt.Errorf("range list request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if r.etag != "" {
		req.Header.Set("If-None-Match", r.etag)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return resultError, fmt.Errorf("get range list: %w", err)
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusNotModified:
		return resultNotModified, nil
	case http.StatusOK:
	default:
		return resultRejected, reject(ReasonStatus, fmt.Errorf("status %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return resultError, fmt.Errorf("read range list: %w", err)
	}
	if len(body) > maxBody {
		return resultRejected, reject(ReasonTooLarge, fmt.Errorf("answer over %d bytes", maxBody))
	}

	set, etag, err := parseAnswer(body)
	if err != nil {
		return resultRejected, err
	}

	// Prefer the HTTP validator for If-None-Match; the API's body etag,
	// quoted as an entity tag, when there is none.
	r.etag = resp.Header.Get("ETag")
	if r.etag == "" && etag != "" {
		r.etag = `"` + etag + `"`
	}
	if set.Version == r.version {
		return resultUnchanged, nil
	}
	r.o.Apply(set)
	r.log.Info("range list applied", "version", set.Version, "previous", r.version,
		"prefixes", len(set.Prefixes()))
	r.version = set.Version
	return resultApplied, nil
}

// answer is the Cloudflare API's reply to GET /ips.
type answer struct {
	Success *bool `json:"success"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Result *struct {
		IPv4 []string `json:"ipv4_cidrs"`
		IPv6 []string `json:"ipv6_cidrs"`
		Etag string   `json:"etag"`
	} `json:"result"`
}

// parseAnswer validates an answer and builds its set, versioned by its etag.
func parseAnswer(body []byte) (*config.RangeSet, string, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, "", reject(ReasonNotJSON, err)
	}
	if a.Success == nil || !*a.Success {
		msgs := make([]string, 0, len(a.Errors))
		for _, e := range a.Errors {
			msgs = append(msgs, fmt.Sprintf("%d %s", e.Code, e.Message))
		}
		return nil, "", reject(ReasonAPIError,
			fmt.Errorf("success is not true: %s", strings.Join(msgs, "; ")))
	}
	if a.Result == nil {
		return nil, "", reject(ReasonEmpty, config.ErrNoRanges)
	}

	cidrs := append(append([]string(nil), a.Result.IPv4...), a.Result.IPv6...)
	version := VersionPrefix + a.Result.Etag
	if a.Result.Etag == "" {
		// Not seen from Cloudflare, but a mirror may leave it out: version
		// the list by its content so that alerts still name it.
		version = contentVersion(cidrs)
	}
	set, err := config.ParseRanges(version, cidrs)
	switch {
	case errors.Is(err, config.ErrNoRanges):
		return nil, "", reject(ReasonEmpty, err)
	case err != nil:
		return nil, "", reject(ReasonInvalidRange, err)
	}
	return set, a.Result.Etag, nil
}

// contentVersion names a list by a hash of its entries, in any order.
func contentVersion(cidrs []string) string {
	sorted := make([]string, len(cidrs))
	for i, c := range cidrs {
		sorted[i] = strings.TrimSpace(c)
	}
	slices.Sort(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return ContentVersionPrefix + hex.EncodeToString(sum[:6])
}
