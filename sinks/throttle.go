package sinks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Throttle is a Sink that passes at most one update per hash (tenant and
// SHA1) per interval to the sink it wraps, so that a binary spreading over
// many devices does not flood a SIEM or a ticketing system with one update
// per device. A create and a close always pass; a close also forgets the
// hash. A suppressed update is dropped and counted; the next update that
// passes, or the close, carries the devices it would have added.
//
// Throttle guards one destination and keeps its state in this process: each
// instance throttles on its own, and a restart forgets. The pipeline's
// Redis-side throttle, shared by all instances, already limits what reaches
// the sinks; this one is for destinations with stricter budgets than the
// alert topic. Only an update the wrapped sink acknowledged starts an
// interval: after a failed Publish the caller's retry of the batch passes
// the same updates again. Throttle is safe for concurrent use.
type Throttle struct {
	next     Sink
	interval time.Duration
	now      func() time.Time

	mu    sync.Mutex
	last  map[throttleKey]time.Time // when the hash's last update passed
	sweep time.Time                 // when last was last swept of expired entries

	suppressed atomic.Int64
}

// throttleKey names a hash within a tenant.
type throttleKey struct{ tenant, sha1 string }

// NewThrottle returns a Throttle that passes at most one update per hash
// per interval to next. An interval of zero or less passes everything.
func NewThrottle(next Sink, interval time.Duration) *Throttle {
	return &Throttle{next: next, interval: interval, now: time.Now,
		last: map[throttleKey]time.Time{}}
}

// Publish passes the batch less the suppressed updates to the wrapped sink.
// Within one batch, the last of a hash's updates is the one that passes. It
// implements Sink.
func (t *Throttle) Publish(ctx context.Context, alerts []Alert) error {
	if t.interval <= 0 || len(alerts) == 0 {
		return t.next.Publish(ctx, alerts)
	}
	now := t.now()
	pass, started := t.filter(alerts, now)
	if len(pass) > 0 {
		if err := t.next.Publish(ctx, pass); err != nil {
			t.undo(started, now)
			return err
		}
	}
	t.mu.Lock()
	for i := range pass {
		if pass[i].Activity == ActivityClose {
			delete(t.last, throttleKey{pass[i].TenantID, pass[i].SHA1})
		}
	}
	t.mu.Unlock()
	return nil
}

// filter returns the alerts to pass and the hashes whose interval they
// start, which it records as started now.
func (t *Throttle) filter(alerts []Alert, now time.Time) ([]Alert, []throttleKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(now)
	pass := make([]Alert, 0, len(alerts))
	slot := map[throttleKey]int{} // index in pass of the hash's update in this batch
	var started []throttleKey
	for i := range alerts {
		a := &alerts[i]
		if a.Activity != ActivityUpdate {
			pass = append(pass, *a)
			continue
		}
		k := throttleKey{a.TenantID, a.SHA1}
		if j, ok := slot[k]; ok {
			pass[j] = *a // a later update of the batch replaces the earlier
			t.suppressed.Add(1)
			continue
		}
		if last, ok := t.last[k]; ok && now.Sub(last) < t.interval {
			t.suppressed.Add(1)
			continue
		}
		t.last[k] = now
		started = append(started, k)
		slot[k] = len(pass)
		pass = append(pass, *a)
	}
	return pass, started
}

// undo forgets the intervals a failed Publish started, unless a later
// Publish has started them again.
func (t *Throttle) undo(started []throttleKey, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range started {
		if t.last[k].Equal(at) {
			delete(t.last, k)
		}
	}
}

// expire drops the entries whose interval has passed, at most once an
// interval, so that the map holds only hashes updated lately.
func (t *Throttle) expire(now time.Time) {
	if now.Sub(t.sweep) < t.interval {
		return
	}
	t.sweep = now
	for k, last := range t.last {
		if now.Sub(last) >= t.interval {
			delete(t.last, k)
		}
	}
}

// Suppressed returns how many updates the throttle has dropped.
func (t *Throttle) Suppressed() int64 { return t.suppressed.Load() }

// Stats returns the counters of the wrapped sink, when it keeps them, with
// the updates this throttle suppressed.
func (t *Throttle) Stats() Stats {
	var s Stats
	if h, ok := t.next.(HTTPSink); ok {
		s = h.Stats()
	}
	s.Suppressed = t.Suppressed()
	return s
}

// Name returns the wrapped sink's name, when it has one.
func (t *Throttle) Name() string {
	if h, ok := t.next.(HTTPSink); ok {
		return h.Name()
	}
	return "throttle"
}

// Close closes the wrapped sink. It implements Sink.
func (t *Throttle) Close(ctx context.Context) error { return t.next.Close(ctx) }
