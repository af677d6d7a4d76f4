package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// httpCore is what the HTTP sinks share: the client, the retry loop, the
// dead-letter path and the counters. It is safe for concurrent use.
type httpCore struct {
	name   string
	client *http.Client
	retry  Retry
	dead   *DeadLetterAlerts
	log    *slog.Logger
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	closed atomic.Bool

	delivered, requests, retries, deadLettered atomic.Int64
}

// newCore returns a core with the defaults filled in.
func newCore(name string, client *http.Client, retry Retry, dead *DeadLetterAlerts,
	log *slog.Logger) *httpCore {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	if log == nil {
		log = slog.Default()
	}
	return &httpCore{name: name, client: client, retry: retry.withDefaults(), dead: dead,
		log: log, now: time.Now, sleep: sleepCtx}
}

// stats returns the counters.
func (c *httpCore) stats() Stats {
	return Stats{Delivered: c.delivered.Load(), Requests: c.requests.Load(),
		Retries: c.retries.Load(), DeadLettered: c.deadLettered.Load()}
}

// publish is the frame of every HTTP sink's Publish: it encodes the alerts,
// dead-letters those too large to send, splits the rest into batches and
// hands each to deliver, stopping at the first error. The retry budget
// starts now.
func (c *httpCore) publish(ctx context.Context, alerts []Alert, enc func(*Alert) ([]byte, error),
	maxCount, maxBytes, sep, overhead int,
	deliver func(ctx context.Context, deadline time.Time, b batch) error) error {
	if len(alerts) == 0 {
		return nil
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	deadline := c.now().Add(c.retry.Budget)
	docs, err := encodeAll(alerts, enc)
	if err != nil {
		return err
	}
	batches, oversized := split(alerts, docs, maxCount, maxBytes, sep, overhead)
	for _, i := range oversized {
		tooLarge := fmt.Errorf("%s: %w: alert document of %d bytes exceeds the %d bytes a request may carry",
			c.name, ErrRefused, len(docs[i]), maxBytes)
		if err := c.refuse(ctx, alerts[i:i+1], tooLarge); err != nil {
			return err
		}
	}
	for _, b := range batches {
		if err := deliver(ctx, deadline, b); err != nil {
			return err
		}
	}
	return nil
}

// deliverSimple sends b with retries: delivered, refused for good (dead
// letters), or an error for the caller.
func (c *httpCore) deliverSimple(ctx context.Context, deadline time.Time, b batch,
	send func(context.Context, batch) error) error {
	err := c.attempt(ctx, deadline, func(ctx context.Context) error { return send(ctx, b) })
	switch {
	case err == nil:
		c.delivered.Add(int64(len(b.alerts)))
		return nil
	case errors.Is(err, ErrRefused):
		return c.refuse(ctx, b.alerts, err)
	}
	return err
}

// attempt runs op until it succeeds, fails for good (an error wrapping
// ErrRefused), ctx ends, or the next attempt would start after deadline.
// Between attempts it pauses with exponential backoff and jitter, or for
// the Retry-After the destination asked for.
func (c *httpCore) attempt(ctx context.Context, deadline time.Time,
	op func(context.Context) error) error {
	pause := c.retry.Initial
	for n := 1; ; n++ {
		// The budget's end bounds the request too; as a timeout, so that
		// an injected clock in tests does not meet a real deadline.
		rctx, cancel := context.WithTimeout(ctx, deadline.Sub(c.now()))
		err := op(rctx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w (last attempt: %w)", c.name, ctx.Err(), err)
		case errors.Is(err, ErrRefused):
			return err
		}

		wait := pause/2 + rand.N(pause/2+1)
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		if !c.now().Add(wait).Before(deadline) {
			return fmt.Errorf("%s: %w after %d attempts: %w", c.name, ErrRetryBudget, n, err)
		}
		c.retries.Add(1)
		c.log.Debug("retrying alert delivery", "sink", c.name, "attempt", n, "wait", wait, "error", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: %w (last attempt: %w)", c.name, serr, err)
		}
		pause = min(2*pause, c.retry.Max)
	}
}

// refuse writes alerts the destination refused for good to the dead
// letters and counts them; without a dead-letter writer it returns cause.
func (c *httpCore) refuse(ctx context.Context, alerts []Alert, cause error) error {
	if c.dead == nil {
		return fmt.Errorf("%s: %d alerts refused and no dead-letter writer: %w", c.name, len(alerts), cause)
	}
	if err := c.dead.write(ctx, c.name, cause, alerts); err != nil {
		return fmt.Errorf("%s: dead-letter %d refused alerts: %w (refused: %v)",
			c.name, len(alerts), err, cause)
	}
	c.deadLettered.Add(int64(len(alerts)))
	c.log.Warn("alerts refused by the destination were dead-lettered",
		"sink", c.name, "alerts", len(alerts), "error", cause)
	return nil
}

// post sends body to url and returns the response body of a 2xx answer. Any
// other answer is a *StatusError; a failure to talk to the server is
// returned as it is (and retried).
func (c *httpCore) post(ctx context.Context, url string, header http.Header,
	body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: build request: %w", c.name, ErrRefused, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "flarewatch")
	}
	c.requests.Add(1)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode/100 == 2 {
		return nil, fmt.Errorf("%s: read response: %w", c.name, err)
	}
	if resp.StatusCode/100 != 2 {
		return respBody, &StatusError{Sink: c.name, Status: resp.StatusCode,
			Detail:     excerpt(respBody),
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	}
	return respBody, nil
}

// retryAfter parses a Retry-After value, in seconds or as an HTTP date; it
// is 0 when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// excerpt is the start of a response body, fit for an error message.
func excerpt(b []byte) string {
	const n = 300
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
