// Package stream consumes MDE streaming-API messages from Kafka, runs them
// through the rule and the state, and publishes alerts. It owns commits:
// an offset is committed only after the state writes and the alert and
// dead-letter produces of everything before it have been acknowledged.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// Options tune a Pipeline.
type Options struct {
	SeparateTenants bool          // keep counts and episodes per tenant
	Lookback        time.Duration // the window
	MaxPrevalence   int64         // GlobalPrevalence below this alerts
	MaxListItems    int           // cap on the lists an alert carries
	RetryMin        time.Duration // first pause after an unavailable dependency
	RetryMax        time.Duration // longest pause between retries
	ClaimLease      time.Duration // how long a claimed due hash is held
	CertCacheSize   int           // hashes kept in the local certificate cache
	// DeadLetterMaxBytes caps the original bytes a dead letter carries: a
	// larger message is cut, and its dead letter says so and names the
	// source offset where the whole of it stays. A dead letter must fit
	// the producer's and the broker's limits, or the partition would stop.
	DeadLetterMaxBytes int
}

// DefaultOptions returns the options of the default configuration.
func DefaultOptions() Options {
	return Options{
		Lookback:      30 * 24 * time.Hour,
		MaxPrevalence: 50000,
		MaxListItems:  50,
		RetryMin:      100 * time.Millisecond,
		RetryMax:      5 * time.Second,
		ClaimLease:    30 * time.Second,
		CertCacheSize: 100000,

		DeadLetterMaxBytes: 512 << 10,
	}
}

// Pipeline is everything between a fetched message and a published alert.
// One Pipeline serves all partitions; each partition's worker brings its
// own mde.Decoder. See CONCURRENCY.md for who owns what.
type Pipeline struct {
	Rule        *rule.Rule
	Store       *state.Store
	Clock       *Clock
	Alerts      sinks.Sink
	DeadLetters sinks.DeadLetterSink
	Profiles    *Enricher
	Metrics     *Metrics
	Stats       Stats
	Log         *slog.Logger
	opt         Options
	certs       *state.CertCache
	wake        chan struct{} // a hash was scheduled: the scheduler looks now
}

// New returns a pipeline. provider may be enrich.None{}.
func New(r *rule.Rule, st *state.Store, clock *Clock, alerts sinks.Sink,
	dead sinks.DeadLetterSink, provider enrich.Provider, opt Options) *Pipeline {
	m := NewMetrics(nil)
	return &Pipeline{
		Rule: r, Store: st, Clock: clock, Alerts: alerts, DeadLetters: dead,
		Profiles: NewEnricher(provider, st, m),
		Metrics:  m,
		Log:      slog.Default(),
		opt:      opt,
		certs:    state.NewCertCache(opt.CertCacheSize),
		wake:     make(chan struct{}, 1),
	}
}

// retry runs op until it succeeds, pausing with exponential backoff while it
// fails because a dependency is unavailable. It gives up only when ctx ends
// or the error is not about availability.
func (p *Pipeline) retry(ctx context.Context, name string, op func() error) error {
	pause := p.opt.RetryMin
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !retryable(err) {
			return err
		}
		p.Metrics.with(p.Metrics.retries, ctx, "operation", name, 1)
		if attempt == warnAfter {
			// A dependency down for long, or an error that retrying will
			// not cure: either way someone should look.
			p.Log.Warn("still retrying", "operation", name, "attempts", attempt, "err", err)
		} else {
			p.Log.Debug("retrying", "operation", name, "pause", pause, "err", err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(pause):
		}
		pause = min(2*pause, p.opt.RetryMax)
	}
}

// warnAfter is the attempt at which a retried operation is logged at warn.
const warnAfter = 10

// retryable reports whether err may pass if tried again later: Redis or
// Kafka unavailable, a produce that timed out.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return false
	}
	return true
}
