package enrich

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// rateWindow is a documented call limit: at most n calls in any span of period.
type rateWindow struct {
	name   string // names the limit's Redis key, e.g. "minute"
	n      int
	period time.Duration
}

// gcra returns the limiter parameters that keep every span of one period at
// or under w.n calls.
//
// A GCRA bucket with a burst of B and a rate of R per period admits B calls at
// once and then one every period/R, so a span of one period that starts with
// a full bucket holds B + R - 1 calls. With the burst equal to the rate, as
// redis_rate.PerMinute makes it, that is nearly twice the limit. A tenth of
// the limit is kept for bursts and the rest is the sustained rate, so that
// B + R = n: for 100 a minute, bursts of 10 and 90 a minute sustained. The
// call to spare absorbs the rounding of period/R.
func (w rateWindow) gcra() redis_rate.Limit {
	burst := max(1, w.n/10)
	return redis_rate.Limit{Rate: max(1, w.n-burst), Burst: burst, Period: w.period}
}

// mdeWindows returns the API's two limits.
func mdeWindows(perMinute, perHour int) []rateWindow {
	return []rateWindow{
		{name: "minute", n: perMinute, period: time.Minute},
		{name: "hour", n: perHour, period: time.Hour},
	}
}

// rateLimiter grants calls under several limits at once.
type rateLimiter interface {
	// take takes one call from every limit and returns 0 when all of them
	// have a call to give now. Otherwise it returns how long to wait before
	// asking again; it then takes nothing, except in a rare race between
	// instances, in which a call of one limit may be spent.
	take(ctx context.Context) (time.Duration, error)
}

// redisLimiter is a limiter whose state is in Redis, so every instance that
// uses the same keys shares the limits.
type redisLimiter struct {
	rl     *redis_rate.Limiter
	keys   []string
	limits []redis_rate.Limit
}

// newRedisLimiter returns a limiter for ws that keeps its state under keys
// starting with "rate:" (redis_rate's prefix) and prefix.
func newRedisLimiter(rdb redis.UniversalClient, prefix string, ws []rateWindow) *redisLimiter {
	l := &redisLimiter{rl: redis_rate.NewLimiter(rdb)}
	for _, w := range ws {
		l.keys = append(l.keys, prefix+":"+w.name)
		l.limits = append(l.limits, w.gcra())
	}
	return l
}

func (l *redisLimiter) take(ctx context.Context) (time.Duration, error) {
	// A denied take costs nothing, but a take that one limit grants and a
	// later one denies has spent a call of the first. Peeking at the later
	// limits first (a take of 0 calls reads the bucket) makes that happen
	// only when another instance takes the last call between peek and take.
	for i := 1; i < len(l.limits); i++ {
		res, err := l.rl.AllowN(ctx, l.keys[i], l.limits[i], 0)
		if err != nil {
			return 0, fmt.Errorf("rate limit %s: %w", l.keys[i], err)
		}
		if d := untilFree(res); d > 0 {
			return d, nil
		}
	}
	for i := range l.limits {
		res, err := l.rl.Allow(ctx, l.keys[i], l.limits[i])
		if err != nil {
			return 0, fmt.Errorf("rate limit %s: %w", l.keys[i], err)
		}
		if res.Allowed == 0 {
			return max(res.RetryAfter, minLimiterWait), nil
		}
	}
	return 0, nil
}

// minLimiterWait is the shortest wait a limiter asks for, so that rounding
// never makes a caller spin.
const minLimiterWait = time.Millisecond

// untilFree returns how long until the bucket a peek read has a call to
// give, or 0 when it has one now. A peek leaves the bucket as it was, so its
// ResetAfter is how long until the bucket is full, and it holds one call
// Burst-1 emission intervals before that. (Remaining, a whole number the
// script rounds down, can read 0 for a full bucket of one call.)
func untilFree(res *redis_rate.Result) time.Duration {
	lim := res.Limit
	interval := lim.Period / time.Duration(lim.Rate)
	d := res.ResetAfter - time.Duration(lim.Burst-1)*interval
	if d <= 0 {
		return 0
	}
	return max(d, minLimiterWait)
}
