package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenCache hands out the API's bearer token. oauth2's token source caches
// the token and fetches a new one before it expires; drop discards it when
// the API rejects it before then (revoked, or expired early).
type tokenCache struct {
	newSource func() oauth2.TokenSource

	mu  sync.Mutex
	src oauth2.TokenSource
	gen uint64 // counts the sources made, so that one 401 drops one source
}

// newTokenCache returns a cache of client-credentials tokens fetched with
// client. Azure AD takes the client secret in the form body.
func newTokenCache(client *http.Client, tokenURL, clientID, secret, scope string) *tokenCache {
	cfg := &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     tokenURL,
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	if scope != "" {
		cfg.Scopes = []string{scope}
	}
	// A token source keeps the context it is made with for every fetch, so
	// it cannot be a look-up's. The client's timeout bounds each fetch.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	c := &tokenCache{newSource: func() oauth2.TokenSource { return cfg.TokenSource(ctx) }}
	c.src = c.newSource()
	return c
}

// token returns the current token and the generation of the source it came
// from, to pass to drop.
func (c *tokenCache) token() (*oauth2.Token, uint64, error) {
	c.mu.Lock()
	src, gen := c.src, c.gen
	c.mu.Unlock()
	t, err := src.Token()
	if err != nil {
		return nil, gen, tokenError(err)
	}
	return t, gen, nil
}

// drop discards the token of generation gen, so that the next call to token
// fetches a new one. When several look-ups see the same token rejected, only
// the first drops it.
func (c *tokenCache) drop(gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.src = c.newSource()
		c.gen++
	}
}

// tokenError describes a failed token request without the token endpoint's
// response body or description, which are free text that may echo what was
// sent. The OAuth error code ("invalid_client") is kept.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// A transport error names the method and the token URL only.
		return fmt.Errorf("get token: %w", err)
	}
	status := "no response"
	if re.Response != nil {
		status = re.Response.Status
	}
	if code := strings.TrimSpace(re.ErrorCode); code != "" && len(code) <= 64 {
		return fmt.Errorf("get token: token endpoint answered %s: %q", status, code)
	}
	return fmt.Errorf("get token: token endpoint answered %s", status)
}
