package enrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// NameMDE is the name of the Defender file API provider.
const NameMDE = "mde"

// MDEOptions configures an MDE provider.
type MDEOptions struct {
	// BaseURL is the Defender API root, such as
	// https://api.security.microsoft.com.
	BaseURL string
	// TokenURL is the OAuth 2.0 token endpoint with the tenant filled in
	// (see config.MDE.TokenEndpoint).
	TokenURL string
	// ClientID, ClientSecret and Scope are the Azure AD application's client
	// credentials and the scope its tokens are asked for.
	ClientID, ClientSecret, Scope string
	// PerMinute and PerHour are the API's call limits, shared by every
	// instance that uses the same Redis and Namespace.
	PerMinute, PerHour int
	// Redis holds the shared rate limiter's state. Nil keeps it in this
	// process only, for tests and single-instance runs.
	Redis redis.UniversalClient
	// Namespace prefixes the limiter's keys, e.g. "fw". Required with Redis.
	Namespace string
	// HTTPClient makes the token and API calls; nil means a client with a
	// 30 s timeout.
	HTTPClient *http.Client
	// MaxWait is the longest the look-up of one hash waits, in all, for calls
	// the rate limits allow and for the ends of the pauses 429 answers ask
	// for. When a wait would take it further, Lookup returns an error
	// wrapping ErrRateLimited instead of waiting. Zero never waits.
	MaxWait time.Duration
}

// DefaultMDEMaxWait is the MaxWait NewMDEFromConfig uses.
const DefaultMDEMaxWait = 30 * time.Second

// MDE is the provider that asks the Microsoft Defender for Endpoint file API
// (GET {BaseURL}/api/files/{sha1}), with a bearer token from Azure AD client
// credentials, one call per hash, within the API's rate limits. It is safe
// for concurrent use.
//
// The answer maps onto the FileProfile columns as follows:
//
//   - SHA1: the hash asked for, lower-case.
//   - SHA256: sha256, lower-case, or empty when it is not 64 hex digits.
//   - GlobalPrevalence: globalPrevalence. An answer whose globalPrevalence
//     is null or missing makes the file unknown, as a missing
//     GlobalPrevalence does in the file provider.
//   - SignatureState: "Unsigned" when signer is null or empty; otherwise
//     "SignedValid" when isValidCertificate is true, "SignedInvalid" when it
//     is false, and "Unknown" when it is null or missing.
//
// A 404 answer means the file is unknown. A 401 drops the token and the call
// is made once more with a new one. A 429 pauses every look-up of this MDE
// for the time its Retry-After (seconds or an HTTP date) asks; a look-up
// waits it out within its MaxWait, or returns an error wrapping
// ErrRateLimited. Any other answer, and a network error, is an error. A hash
// that is not 40 hex digits is unknown without a call.
//
// Every call to the file API takes a slot of both rate limits. The limits are
// kept in Redis, so that all instances share them, with a tenth of each as
// burst, so that no minute holds more than PerMinute calls and no hour more
// than PerHour. See MDE.md.
type MDE struct {
	base    string
	client  *http.Client
	tokens  *tokenCache
	limiter rateLimiter
	pause   apiPause
	maxWait time.Duration
	// redactor keeps the client secret out of errors. A pointer, like every
	// other field that leads to the secret, so that printing an MDE with
	// %+v shows an address, not the secret.
	redactor *strings.Replacer
}

// NewMDE returns an MDE provider. It makes no call: a bad credential shows in
// the first Lookup.
func NewMDE(o MDEOptions) (*MDE, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	windows := mdeWindows(o.PerMinute, o.PerHour)
	var lim rateLimiter = newLocalLimiter(windows)
	if o.Redis != nil {
		lim = newRedisLimiter(o.Redis, o.Namespace+":mde:calls", windows)
	}
	return &MDE{
		base:     strings.TrimRight(o.BaseURL, "/"),
		client:   client,
		tokens:   newTokenCache(client, o.TokenURL, o.ClientID, o.ClientSecret, o.Scope),
		limiter:  lim,
		maxWait:  o.MaxWait,
		redactor: strings.NewReplacer(o.ClientSecret, "[redacted]"),
	}, nil
}

// validate names the first bad option.
func (o MDEOptions) validate() error {
	for _, u := range []struct{ name, value string }{
		{"BaseURL", o.BaseURL}, {"TokenURL", o.TokenURL},
	} {
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("mde options: %s %q is not an http(s) URL", u.name, u.value)
		}
	}
	switch {
	case strings.Contains(o.TokenURL, "{tenant}"):
		return errors.New("mde options: TokenURL still holds {tenant}; fill in the tenant")
	case o.ClientID == "":
		return errors.New("mde options: ClientID is empty")
	case o.ClientSecret == "":
		return errors.New("mde options: ClientSecret is empty")
	case o.PerMinute < 1 || o.PerHour < 1:
		return fmt.Errorf("mde options: PerMinute %d and PerHour %d must be at least 1",
			o.PerMinute, o.PerHour)
	case o.Redis != nil && o.Namespace == "":
		return errors.New("mde options: Namespace is empty; it is required with Redis")
	case o.MaxWait < 0:
		return fmt.Errorf("mde options: MaxWait %s is negative", o.MaxWait)
	}
	return nil
}

// Name returns "mde".
func (m *MDE) Name() string { return NameMDE }

// Lookup asks the file API about each hash in turn, once per hash whatever
// its case, and keys the profiles by the hashes as given. An error means some
// hash could not be answered now; no partial answer is returned.
func (m *MDE) Lookup(ctx context.Context, sha1s []string) (map[string]Profile, error) {
	out := make(map[string]Profile, len(sha1s))
	answers := make(map[string]Profile, len(sha1s)) // by lower-case hash
	for _, h := range sha1s {
		sha1 := strings.ToLower(strings.TrimSpace(h))
		if !isHex(sha1, 40) {
			continue
		}
		p, asked := answers[sha1]
		if !asked {
			var err error
			if p, err = m.lookup(ctx, sha1); err != nil {
				return nil, m.redact(fmt.Errorf("mde lookup %s: %w", sha1, err))
			}
			answers[sha1] = p
		}
		if p.Known {
			out[h] = p
		}
	}
	return out, nil
}

// lookup returns the profile of one lower-case hash, or the zero Profile when
// the file is unknown.
func (m *MDE) lookup(ctx context.Context, sha1 string) (Profile, error) {
	budget := waitBudget{max: m.maxWait}
	renewed := false // whether the last answer was a 401, answered with a new token
	for {
		if err := m.awaitCall(ctx, &budget); err != nil {
			return Profile{}, err
		}
		tok, gen, err := m.tokens.token()
		if err != nil {
			return Profile{}, err
		}
		status, header, body, err := m.get(ctx, sha1, tok)
		if err != nil {
			return Profile{}, err
		}

		switch {
		case status == http.StatusOK:
			p, _, err := mdeProfile(sha1, body)
			return p, err
		case status == http.StatusNotFound:
			return Profile{}, nil
		case status == http.StatusUnauthorized && !renewed:
			renewed = true
			m.tokens.drop(gen)
			slog.DebugContext(ctx, "mde token rejected, getting a new one", "sha1", sha1)
		case status == http.StatusTooManyRequests:
			d, ok := retryAfter(header, time.Now())
			if !ok {
				return Profile{}, fmt.Errorf("%w: 429 without a usable Retry-After", ErrRateLimited)
			}
			m.pause.extend(time.Now().Add(d))
			renewed = false // the token was taken
			slog.DebugContext(ctx, "mde throttled", "sha1", sha1, "retry_after", d)
		case status == http.StatusUnauthorized:
			return Profile{}, errors.New("file API answered 401 Unauthorized to a new token")
		default:
			return Profile{}, fmt.Errorf("file API answered %d %s", status, http.StatusText(status))
		}
	}
}

// awaitCall waits until the API may be called: past the pause a 429 asked
// for, then for a call the rate limits allow, which it takes.
func (m *MDE) awaitCall(ctx context.Context, b *waitBudget) error {
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if d := m.pause.left(time.Now()); d > 0 {
			if err := b.wait(ctx, d, "Retry-After ends"); err != nil {
				return err
			}
			continue
		}
		d, err := m.limiter.take(ctx)
		if err != nil {
			return err
		}
		if d == 0 {
			return nil
		}
		if err := b.wait(ctx, d, "next call allowed"); err != nil {
			return err
		}
	}
}

// maxBody bounds the size of an answer read; a file entity is well under 4 KiB.
const maxBody = 1 << 20

// get calls GET /api/files/{sha1} and returns the answer's status, header and,
// for a 200, body.
func (m *MDE) get(ctx context.Context, sha1 string, tok *oauth2.Token) (
	status int, header http.Header, body []byte, err error,
) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		m.base+"/api/files/"+url.PathEscape(sha1), nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("call file API: %w", err)
	}
	defer resp.Body.Close()

	// Read the body even when it is not used, so the connection is reused.
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read file API answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header, nil, nil
	}
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("file API answer over %d bytes", maxBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// redact keeps the client secret out of err's text. Errors are built so that
// it never gets there; this is the last guard, and it gives up the wrapped
// causes only when it had to act.
func (m *MDE) redact(err error) error {
	msg := err.Error()
	if clean := m.redactor.Replace(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}
