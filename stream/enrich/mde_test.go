package enrich

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fromMDE returns the profile the mde provider gives for sha1.
func fromMDE(sha1, sha256, state string, prevalence int64) Profile {
	return Profile{SHA1: sha1, SHA256: sha256, SignatureState: state,
		GlobalPrevalence: prevalence, Known: true, Source: NameMDE}
}

var _ Provider = (*MDE)(nil)

func TestMDELookup(t *testing.T) {
	t.Parallel()
	documented, err := os.ReadFile(filepath.Join("testdata", "mde_file.json"))
	if err != nil {
		t.Fatal(err)
	}
	upperA := strings.ToUpper(hashA)
	tests := []struct {
		name      string
		entity    string // hashA's file entity; "" means unknown (404)
		query     []string
		want      map[string]Profile
		wantCalls int
	}{{
		name:   "signer null is Unsigned",
		entity: entity(hashA, 12, nil, nil),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "Unsigned", 12)}, wantCalls: 1,
	}, {
		name:   "signer empty is Unsigned, whatever the certificate",
		entity: entity(hashA, 3, " ", false),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "Unsigned", 3)}, wantCalls: 1,
	}, {
		name:   "valid certificate",
		entity: entity(hashA, 250000, "Contoso Ltd.", true),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "SignedValid", 250000)}, wantCalls: 1,
	}, {
		name:   "invalid certificate",
		entity: entity(hashA, 7, "Contoso Ltd.", false),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "SignedInvalid", 7)}, wantCalls: 1,
	}, {
		name:   "signer without a certificate verdict",
		entity: entity(hashA, 7, "Contoso Ltd.", nil),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "Unknown", 7)}, wantCalls: 1,
	}, {
		name: "prevalence written as a float",
		entity: strings.Replace(entity(hashA, 1, nil, nil),
			`"globalPrevalence":1`, `"globalPrevalence":180022.0`, 1),
		query: []string{hashA},
		want:  map[string]Profile{hashA: fromMDE(hashA, sha2A, "Unsigned", 180022)}, wantCalls: 1,
	}, {
		name:   "documented entity, every member",
		entity: string(documented),
		query:  []string{hashA},
		want:   map[string]Profile{hashA: fromMDE(hashA, sha2A, "SignedInvalid", 180022)}, wantCalls: 1,
	}, {
		name:      "no prevalence is unknown",
		entity:    entity(hashA, nil, nil, nil),
		query:     []string{hashA},
		want:      map[string]Profile{},
		wantCalls: 1,
	}, {
		name:      "404 is unknown",
		query:     []string{hashA, hashZ},
		want:      map[string]Profile{},
		wantCalls: 2,
	}, {
		name:   "any case, keyed as given, asked once",
		entity: entity(hashA, 12, nil, nil),
		query:  []string{upperA, hashA, upperA},
		want: map[string]Profile{
			upperA: fromMDE(hashA, sha2A, "Unsigned", 12),
			hashA:  fromMDE(hashA, sha2A, "Unsigned", 12),
		},
		wantCalls: 1,
	}, {
		name:      "not a SHA1: unknown without a call",
		entity:    entity(hashA, 12, nil, nil),
		query:     []string{"a1a1", "../../api/machines", ""},
		want:      map[string]Profile{},
		wantCalls: 0,
	}, {
		name:      "nothing asked",
		want:      map[string]Profile{},
		wantCalls: 0,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeDefender(t)
			if tt.entity != "" {
				f.set(func(f *fakeDefender) { f.files[hashA] = tt.entity })
			}
			m := newTestMDE(t, f, nil)
			got, err := m.Lookup(context.Background(), tt.query)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup\n got %+v\nwant %+v", got, tt.want)
			}
			if _, calls := f.counts(); calls != tt.wantCalls {
				t.Errorf("%d file calls, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestMDELookupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(f *fakeDefender)
		maxWait     time.Duration
		rateLimited bool   // the error wraps ErrRateLimited
		contains    string // the error says so
		failsOn     string // the hash the error names, if not hashA
		tokenCalls  int
		fileCalls   int // a wait and a retry would make more
	}{{
		name:       "server error",
		setup:      func(f *fakeDefender) { f.status[hashA] = 500 },
		contains:   "500 Internal Server Error",
		tokenCalls: 1,
		fileCalls:  3,
	}, {
		name:       "unavailable",
		setup:      func(f *fakeDefender) { f.status[hashA] = 503 },
		contains:   "503",
		tokenCalls: 1,
		fileCalls:  3,
	}, {
		name:       "forbidden",
		setup:      func(f *fakeDefender) { f.status[hashA] = 403 },
		contains:   "403 Forbidden",
		tokenCalls: 1,
		fileCalls:  3,
	}, {
		name:       "malformed entity",
		setup:      func(f *fakeDefender) { f.files[hashA] = `{"sha1": "` + hashA + `", "globalPrev` },
		contains:   "decode file entity",
		tokenCalls: 1,
		fileCalls:  3,
	}, {
		name:       "negative prevalence",
		setup:      func(f *fakeDefender) { f.files[hashA] = entity(hashA, -4, nil, nil) },
		contains:   "globalPrevalence",
		tokenCalls: 1,
		fileCalls:  3,
	}, {
		name:       "every token rejected: one new token, then an error",
		setup:      func(f *fakeDefender) { f.tokenLife = time.Nanosecond },
		contains:   "401 Unauthorized",
		failsOn:    hashC,
		tokenCalls: 2,
		fileCalls:  2,
	}, {
		name:       "bad client secret",
		setup:      func(f *fakeDefender) { f.secret += "-rotated" },
		contains:   `token endpoint answered 401 Unauthorized: "invalid_client"`,
		failsOn:    hashC,
		tokenCalls: 1,
		fileCalls:  0,
	}, {
		name: "Retry-After beyond MaxWait",
		setup: func(f *fakeDefender) {
			f.throttle[hashA] = 1
			f.retryAfter = func() string { return "120" }
		},
		maxWait:     2 * time.Second,
		rateLimited: true,
		contains:    "over the max wait of 2s",
		tokenCalls:  1,
		fileCalls:   3,
	}, {
		name: "Retry-After date beyond MaxWait",
		setup: func(f *fakeDefender) {
			f.throttle[hashA] = 1
			f.retryAfter = func() string {
				return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
			}
		},
		maxWait:     time.Minute,
		rateLimited: true,
		contains:    "over the max wait of 1m0s",
		tokenCalls:  1,
		fileCalls:   3,
	}, {
		name: "Retry-After with no MaxWait",
		setup: func(f *fakeDefender) {
			f.throttle[hashA] = 1
		},
		rateLimited: true,
		contains:    "Retry-After ends in 1s, over the max wait of 0s",
		tokenCalls:  1,
		fileCalls:   3,
	}, {
		name: "429 without Retry-After",
		setup: func(f *fakeDefender) {
			f.throttle[hashA] = 1
			f.retryAfter = func() string { return "" }
		},
		maxWait:     time.Minute,
		rateLimited: true,
		contains:    "429 without a usable Retry-After",
		tokenCalls:  1,
		fileCalls:   3,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeDefender(t)
			f.set(func(f *fakeDefender) {
				f.files[hashA] = entity(hashA, 12, nil, nil)
				f.files[hashC] = entity(hashC, 9, "Contoso Ltd.", true)
			})
			m := newTestMDE(t, f, func(o *MDEOptions) { o.MaxWait = tt.maxWait })
			f.set(tt.setup)

			got, err := m.Lookup(context.Background(), []string{hashC, hashZ, hashA})
			t.Log(err)
			if err == nil || got != nil {
				t.Fatalf("Lookup = %v, %v; want an error and no answer", got, err)
			}
			if errors.Is(err, ErrRateLimited) != tt.rateLimited {
				t.Errorf("errors.Is(err, ErrRateLimited) = %t, want %t", !tt.rateLimited, tt.rateLimited)
			}
			failsOn := cmp.Or(tt.failsOn, hashA)
			if !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), failsOn) {
				t.Errorf("error %q does not name %s and say %q", err, failsOn, tt.contains)
			}
			if tokens, calls := f.counts(); tokens != tt.tokenCalls || calls != tt.fileCalls {
				t.Errorf("%d token and %d file calls, want %d and %d",
					tokens, calls, tt.tokenCalls, tt.fileCalls)
			}
		})
	}
}

func TestMDEUnreachable(t *testing.T) {
	t.Parallel()
	f := newFakeDefender(t)
	m := newTestMDE(t, f, nil)
	f.srv.Close()
	_, err := m.Lookup(context.Background(), []string{hashA})
	if err == nil || errors.Is(err, ErrRateLimited) {
		t.Fatalf("Lookup error %v, want a network error", err)
	}
	t.Log(err)
}

// TestMDECancelledWhileThrottled cancels a look-up that waits out a long
// Retry-After, within its MaxWait.
func TestMDECancelledWhileThrottled(t *testing.T) {
	t.Parallel()
	f := newFakeDefender(t)
	f.set(func(f *fakeDefender) {
		f.throttle[hashA] = 1
		f.retryAfter = func() string { return "60" }
	})
	m := newTestMDE(t, f, func(o *MDEOptions) { o.MaxWait = 2 * time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := m.Lookup(ctx, []string{hashA})
		done <- err
	}()
	waitFor(t, "the 429", func() bool { _, calls := f.counts(); return calls == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lookup error %v, want one wrapping context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Lookup did not return after its context was cancelled")
	}
}

func TestNewMDEOptions(t *testing.T) {
	good := MDEOptions{BaseURL: "https://api.security.microsoft.com",
		TokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
		ClientID: "app", ClientSecret: "s3cret", PerMinute: 100, PerHour: 1500}
	tests := []struct {
		name     string
		change   func(o *MDEOptions)
		contains string // "" for no error
	}{
		{"good", func(*MDEOptions) {}, ""},
		{"no base URL", func(o *MDEOptions) { o.BaseURL = "" }, "BaseURL"},
		{"base URL not http", func(o *MDEOptions) { o.BaseURL = "ftp://x" }, "BaseURL"},
		{"token URL without host", func(o *MDEOptions) { o.TokenURL = "https:///token" }, "TokenURL"},
		{"tenant placeholder left", func(o *MDEOptions) {
			o.TokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
		}, "{tenant}"},
		{"no client id", func(o *MDEOptions) { o.ClientID = "" }, "ClientID"},
		{"no client secret", func(o *MDEOptions) { o.ClientSecret = "" }, "ClientSecret"},
		{"no per-minute limit", func(o *MDEOptions) { o.PerMinute = 0 }, "PerMinute 0"},
		{"no per-hour limit", func(o *MDEOptions) { o.PerHour = -1 }, "PerHour -1"},
		{"negative max wait", func(o *MDEOptions) { o.MaxWait = -time.Second }, "MaxWait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			m, err := NewMDE(o)
			switch {
			case tt.contains == "" && err != nil:
				t.Fatalf("NewMDE: %v", err)
			case tt.contains == "" && m.Name() != "mde":
				t.Errorf("Name = %q", m.Name())
			case tt.contains != "" && (err == nil || !strings.Contains(err.Error(), tt.contains)):
				t.Errorf("NewMDE error %v, want one naming %q", err, tt.contains)
			}
			if err != nil && o.ClientSecret != "" && strings.Contains(err.Error(), o.ClientSecret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}
