package enrich

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/config"
)

// TestMDESurvivesThrottlingAndExpiry looks up hashes from a server that
// throttles some of them and stops taking its tokens early, and loses no
// answer.
func TestMDESurvivesThrottlingAndExpiry(t *testing.T) {
	t.Parallel()
	hashB := strings.Repeat("b2", 20)
	tests := []struct {
		name          string
		setup         func(f *fakeDefender)
		minTokenCalls int
	}{
		// Each 429 pauses the look-ups for 1 to 2 s; a token spent after 2
		// calls, or ended after 300 ms, is refused with a 401.
		{"token good for 2 calls", func(f *fakeDefender) { f.tokenUses = 2 }, 3},
		{"token ends before it says", func(f *fakeDefender) { f.tokenLife = 300 * time.Millisecond }, 3},
		{"token lives a second", func(f *fakeDefender) { f.expiresIn = 1 }, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeDefender(t)
			f.set(func(f *fakeDefender) {
				f.files[hashA] = entity(hashA, 12, nil, nil)
				f.files[hashB] = entity(hashB, 250000, "Contoso Ltd.", true)
				f.files[hashC] = entity(hashC, 3, "Contoso Ltd.", false)
				f.throttle[hashA] = 2 // Retry-After: 1
				f.throttle[hashB] = 1
				f.retryAfter = func() string {
					if f.throttle[hashB] == 0 {
						return time.Now().Add(time.Second).UTC().Format(http.TimeFormat)
					}
					return "1"
				}
				tt.setup(f)
			})
			m := newTestMDE(t, f, func(o *MDEOptions) { o.MaxWait = 10 * time.Second })

			got, err := m.Lookup(context.Background(), []string{hashA, hashZ, hashB, hashC})
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			want := map[string]Profile{
				hashA: fromMDE(hashA, sha2A, "Unsigned", 12),
				hashB: fromMDE(hashB, sha2A, "SignedValid", 250000),
				hashC: fromMDE(hashC, sha2A, "SignedInvalid", 3),
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Lookup\n got %+v\nwant %+v", got, want)
			}
			tokens, calls := f.counts()
			t.Logf("%d token calls, %d file calls", tokens, calls)
			if tokens < tt.minTokenCalls {
				t.Errorf("%d token calls, want at least %d", tokens, tt.minTokenCalls)
			}
		})
	}
}

// TestMDESharedRateLimit runs look-ups through two providers that share one
// limiter and counts the calls that reach the server.
func TestMDESharedRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		perMinute, perHour int
		shared             bool // through Redis; else one provider, in-process
		wantCalls          int  // the limiter's burst
	}{
		{"per minute, shared", 20, 1000, true, 2},
		{"per hour, shared", 1000, 30, true, 3},
		{"per minute, in-process", 20, 1000, false, 2},
		{"per hour, in-process", 1000, 30, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeDefender(t)
			var hashes []string
			for i := range 12 {
				h := fmt.Sprintf("%040x", i+1)
				hashes = append(hashes, h)
				f.set(func(f *fakeDefender) { f.files[h] = entity(h, i, nil, nil) })
			}
			rdb := newRedis(t)
			opts := func(o *MDEOptions) {
				o.PerMinute, o.PerHour, o.MaxWait = tt.perMinute, tt.perHour, 200*time.Millisecond
				if tt.shared {
					o.Redis, o.Namespace = rdb, "fw"
				}
			}
			providers := []*MDE{newTestMDE(t, f, opts)}
			if tt.shared {
				providers = append(providers, newTestMDE(t, f, opts))
			}

			// Every hash at once, spread over the providers.
			var (
				wg                  sync.WaitGroup
				mu                  sync.Mutex
				answered, throttled int
				unexpected          []error
			)
			for i, h := range hashes {
				wg.Go(func() {
					got, err := providers[i%len(providers)].Lookup(context.Background(), []string{h})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case errors.Is(err, ErrRateLimited):
						throttled++
					case err != nil:
						unexpected = append(unexpected, err)
					case got[h].Known:
						answered++
					}
				})
			}
			wg.Wait()

			_, calls := f.counts()
			if calls != tt.wantCalls || answered != tt.wantCalls ||
				throttled != len(hashes)-tt.wantCalls || len(unexpected) > 0 {
				t.Errorf("%d calls, %d answered, %d throttled, errors %v; want %d, %d, %d, none",
					calls, answered, throttled, unexpected,
					tt.wantCalls, tt.wantCalls, len(hashes)-tt.wantCalls)
			}
		})
	}
}

// newRedis returns a client of a fresh miniredis.
func newRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// lockedBuffer is a buffer safe for concurrent writes, for captured logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMDESecretStaysOut makes a server echo the credentials it is sent into
// its error answers and checks that no error, log line or printed provider
// shows the client secret or a token. It is not parallel: it sets the
// default logger.
func TestMDESecretStaysOut(t *testing.T) {
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	tests := []struct {
		name  string
		setup func(f *fakeDefender)
	}{
		{"wrong secret, echoed by the token endpoint", func(f *fakeDefender) { f.secret = "other" }},
		{"token and secret echoed by a 500", func(f *fakeDefender) { f.status[hashA] = 500 }},
		{"token and secret echoed by a 401", func(f *fakeDefender) { f.tokenLife = time.Nanosecond }},
		{"throttled, logged", func(f *fakeDefender) {
			f.throttle[hashA] = 1
			f.retryAfter = func() string { return "30" }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDefender(t)
			secret := f.secret
			f.set(func(f *fakeDefender) {
				f.echo = true
				f.files[hashC] = entity(hashC, 1, nil, nil)
			})
			m := newTestMDE(t, f, func(o *MDEOptions) { o.MaxWait = 10 * time.Millisecond })
			f.set(tt.setup)

			_, err := m.Lookup(context.Background(), []string{hashC, hashA})
			if err == nil {
				t.Fatal("Lookup succeeded; want an error")
			}
			shown := strings.Join([]string{
				err.Error(), fmt.Sprintf("%v %+v %#v", err, m, m), logs.String(),
			}, "\n")
			for _, s := range append(f.issued(), secret) {
				if strings.Contains(shown, s) {
					t.Errorf("%q is shown:\n%s", s, shown)
				}
			}
		})
	}
	if !strings.Contains(logs.String(), `"retry_after"`) {
		t.Errorf("no throttling logged at debug level:\n%s", logs.String())
	}
}

func TestNewMDEFromConfig(t *testing.T) {
	t.Parallel()
	f := newFakeDefender(t)
	f.set(func(f *fakeDefender) { f.files[hashA] = entity(hashA, 12, nil, nil) })
	c := config.Default().Enrichment.MDE
	c.BaseURL = f.srv.URL
	c.TokenURL = f.srv.URL + "/" + config.TenantPlaceholder + "/oauth2/v2.0/token"
	c.TenantID, c.ClientID, c.ClientSecret = fakeTenant, f.clientID, config.Secret(f.secret)

	m, err := NewMDEFromConfig(c, newRedis(t), "fw")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Lookup(context.Background(), []string{hashA})
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if want := fromMDE(hashA, sha2A, "Unsigned", 12); got[hashA] != want {
		t.Errorf("Lookup = %+v, want %+v", got[hashA], want)
	}

	c.ClientSecret = ""
	if _, err := NewMDEFromConfig(c, nil, "fw"); err == nil {
		t.Error("NewMDEFromConfig without a secret succeeded")
	}
}
