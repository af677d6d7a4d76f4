package stream

import (
	"sync/atomic"
	"time"
)

// Clock is the pipeline's notion of now. Event time drives the window: the
// watermark is the highest event time seen, and now is the watermark less
// the allowed lateness. The grace period runs on the wall clock in a live
// run and on the watermark in a replay, so that a replay gives the answer
// a live run would have given. A Clock is shared by all workers.
type Clock struct {
	lateness  time.Duration
	grace     time.Duration
	eventTime bool             // replay: the grace runs on the watermark
	wall      func() time.Time // time.Now, replaceable in tests
	watermark atomic.Int64     // unix ns; 0 before the first event
}

// NewClock returns a clock. With eventTime set, the grace period runs on the
// watermark (replay, demo); otherwise on the wall clock (live).
func NewClock(lateness, grace time.Duration, eventTime bool) *Clock {
	return &Clock{lateness: lateness, grace: grace, eventTime: eventTime, wall: time.Now}
}

// Observe moves the watermark forward to t, if t is later.
func (c *Clock) Observe(t time.Time) {
	ns := t.UnixNano()
	for {
		cur := c.watermark.Load()
		if ns <= cur || c.watermark.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// Watermark returns the highest event time seen.
func (c *Clock) Watermark() time.Time { return time.Unix(0, c.watermark.Load()).UTC() }

// Now returns the watermark less the allowed lateness: the time the window
// and every expiry are computed from.
func (c *Clock) Now() time.Time { return c.Watermark().Add(-c.lateness) }

// Started reports whether any event time has been seen.
func (c *Clock) Started() bool { return c.watermark.Load() != 0 }

// Due returns when a hash whose episode started at start may first alert.
func (c *Clock) Due(start time.Time) time.Time {
	if c.eventTime {
		return start.Add(c.grace)
	}
	return c.wall().Add(c.grace)
}

// SchedulerNow is the time due hashes are compared with.
func (c *Clock) SchedulerNow() time.Time {
	if c.eventTime {
		return c.Watermark()
	}
	return c.wall()
}

// EventTime reports whether the grace period runs on the watermark.
func (c *Clock) EventTime() bool { return c.eventTime }
