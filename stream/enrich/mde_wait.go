package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrRateLimited is wrapped by the error of a look-up that would have had to
// wait longer than its MaxWait for a call the rate limits allow, or for the
// time a 429 answer's Retry-After asks. The caller retries later.
var ErrRateLimited = errors.New("rate limited")

// waitBudget is the waiting time one hash's look-up may still spend.
type waitBudget struct {
	max, spent time.Duration
}

// wait sleeps for d, or returns an error wrapping ErrRateLimited without
// sleeping when d would take the budget past its max. why says what the wait
// is for.
func (b *waitBudget) wait(ctx context.Context, d time.Duration, why string) error {
	if b.spent+d > b.max {
		return fmt.Errorf("%w: %s in %s, over the max wait of %s",
			ErrRateLimited, why, d.Round(time.Millisecond), b.max)
	}
	b.spent += d
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// apiPause is the time before which the API asked not to be called again.
type apiPause struct {
	mu    sync.Mutex
	until time.Time
}

// extend makes the pause last at least until t.
func (p *apiPause) extend(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.until) {
		p.until = t
	}
}

// left returns how long the pause still lasts at now, or 0.
func (p *apiPause) left(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.until.Sub(now), 0)
}

// minRetryAfter is the shortest wait a 429 answer leads to. Retry-After
// counts whole seconds, so "0" or a date in the past means "within the
// second"; the floor also keeps a server that keeps answering 429 from
// making a look-up spin.
const minRetryAfter = time.Second

// retryAfter reads the Retry-After header of a 429 answer at now: a number
// of seconds or an HTTP date. ok is false when the header is missing or
// malformed.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return max(time.Duration(secs)*time.Second, minRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), minRetryAfter), true
	}
	return 0, false
}
