package enrich

import (
	"context"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// localLimiter is a limiter whose state is in this process only: the same
// GCRA as redisLimiter, for tests and single-instance runs without Redis.
// Unlike redisLimiter it takes from all its limits at once or from none.
type localLimiter struct {
	now    func() time.Time
	limits []redis_rate.Limit

	mu  sync.Mutex
	tat []time.Time // per limit, the theoretical arrival time of the next call
}

// newLocalLimiter returns an in-process limiter for ws.
func newLocalLimiter(ws []rateWindow) *localLimiter {
	l := &localLimiter{now: time.Now, tat: make([]time.Time, len(ws))}
	for _, w := range ws {
		l.limits = append(l.limits, w.gcra())
	}
	return l
}

func (l *localLimiter) take(context.Context) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	next := make([]time.Time, len(l.limits))
	var wait time.Duration
	for i, lim := range l.limits {
		interval := lim.Period / time.Duration(lim.Rate)
		tat := l.tat[i]
		if tat.Before(now) {
			tat = now
		}
		next[i] = tat.Add(interval)
		allowAt := next[i].Add(-time.Duration(lim.Burst) * interval)
		wait = max(wait, allowAt.Sub(now))
	}
	if wait > 0 {
		return max(wait, minLimiterWait), nil
	}
	copy(l.tat, next)
	return 0, nil
}
