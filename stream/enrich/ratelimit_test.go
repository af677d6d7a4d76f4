package enrich

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

func TestRateWindowGCRA(t *testing.T) {
	tests := []struct {
		n                   int
		wantBurst, wantRate int
	}{
		{100, 10, 90},
		{1500, 150, 1350},
		{20, 2, 18},
		{9, 1, 8},
		{2, 1, 1},
		{1, 1, 1},
	}
	for _, tt := range tests {
		got := rateWindow{n: tt.n, period: time.Minute}.gcra()
		want := redis_rate.Limit{Rate: tt.wantRate, Burst: tt.wantBurst, Period: time.Minute}
		if got != want {
			t.Errorf("gcra(%d) = %v, want %v", tt.n, got, want)
		}
		// The most calls one period can hold: a full bucket, then the rate.
		if most := got.Burst + got.Rate - 1; most > tt.n {
			t.Errorf("gcra(%d) admits %d calls a period", tt.n, most)
		}
	}
}

// virtualClock is a limiter under test and the clock it reads, which the
// test moves.
type virtualClock struct {
	lim rateLimiter
	set func(time.Time)
}

// virtualLimiters returns a Redis limiter (on a miniredis whose TIME the
// test sets) and an in-process limiter for ws, each with its clock.
func virtualLimiters(t *testing.T, ws []rateWindow) map[string]virtualClock {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	local := newLocalLimiter(ws)
	var mu sync.Mutex
	now := time.Time{}
	local.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	return map[string]virtualClock{
		"redis": {newRedisLimiter(rdb, "fw:mde:calls", ws), mr.SetTime},
		"in-process": {local, func(t time.Time) {
			mu.Lock()
			defer mu.Unlock()
			now = t
		}},
	}
}

// TestRateLimiterWindows takes calls as fast as the limiter lets them for
// three of the longest periods, on a clock that jumps by each wait the limiter
// asks for. No span of one period of any limit may hold more calls than the
// limit, and the calls keep coming at the sustained rate.
func TestRateLimiterWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ws       []rateWindow
		redisToo bool // thousands of calls are slow on miniredis under -race
	}{
		{"API limits", mdeWindows(100, 1500), false},
		{"one limit", []rateWindow{{name: "minute", n: 20, period: time.Minute}}, true},
		{"two limits", []rateWindow{
			{name: "short", n: 4, period: 200 * time.Millisecond},
			{name: "long", n: 9, period: time.Second},
		}, true},
		{"two limits, odd periods", []rateWindow{
			{name: "short", n: 7, period: 333 * time.Millisecond},
			{name: "long", n: 23, period: 7 * time.Second},
		}, true},
	}
	for _, tt := range tests {
		for name, vc := range virtualLimiters(t, tt.ws) {
			if name == "redis" && !tt.redisToo {
				continue
			}
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				longest := tt.ws[len(tt.ws)-1]
				run := 3 * longest.period
				calls := takeVirtual(t, vc, run)
				for _, w := range tt.ws {
					if most := busiestSpan(calls, w.period); most > w.n {
						t.Errorf("%d calls within %s, limit %d", most, w.period, w.n)
					}
				}
				// The first burst, then the tightest sustained rate.
				g := longest.gcra()
				want := g.Burst + int(run/(g.Period/time.Duration(g.Rate))) - 1
				if len(calls) < want-1 {
					t.Errorf("%d calls in %s, want %d", len(calls), run, want)
				}
				t.Logf("%d calls in %s", len(calls), run)
			})
		}
	}
}

// takeVirtual takes calls from vc's limiter for d of virtual time, moving
// the clock by each wait the limiter asks for, and returns when each call
// was granted.
func takeVirtual(t *testing.T, vc virtualClock, d time.Duration) []time.Time {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := start
	var calls []time.Time
	for now.Before(start.Add(d)) {
		vc.set(now)
		wait, err := vc.lim.take(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if wait == 0 {
			calls = append(calls, now)
		}
		now = now.Add(wait)
	}
	return calls
}

// busiestSpan returns the most calls within any span of period (the start
// included, the end not). calls are in order.
func busiestSpan(calls []time.Time, period time.Duration) int {
	most, j := 0, 0
	for i := range calls {
		for j < len(calls) && calls[j].Sub(calls[i]) < period {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// TestRateLimiterDeniedSpendsNothing takes calls while the long limit is
// spent and checks that the short one lost none of its calls.
func TestRateLimiterDeniedSpendsNothing(t *testing.T) {
	t.Parallel()
	// Periods long enough that nothing refills while the test runs.
	ws := []rateWindow{
		{name: "short", n: 100, period: 24 * time.Hour}, // a burst of 10
		{name: "long", n: 3, period: 48 * time.Hour},    // a burst of 1, then 1 a day
	}
	rdb := newRedis(t)
	lim := newRedisLimiter(rdb, "fw:mde:calls", ws)
	ctx := context.Background()
	for i := range 20 {
		wait, err := lim.take(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (i == 0) != (wait == 0) {
			t.Fatalf("take %d: wait %s", i, wait)
		}
		if i > 0 && (wait < 23*time.Hour || wait > 24*time.Hour) {
			t.Errorf("take %d: wait %s, want the long limit's 24h", i, wait)
		}
	}
	res, err := redis_rate.NewLimiter(rdb).AllowN(ctx, "fw:mde:calls:short", ws[0].gcra(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Remaining != 9 {
		t.Errorf("short limit has %d calls left, want 9", res.Remaining)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Second, true},
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{"", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %s, %t; want %s, %t", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}
