package state

import (
	"sync"
	"time"
)

// CertCache is the in-process cache in front of the certificate check: it
// remembers hashes known to be signed, and until when the row exempts them,
// so that the events of a signed binary cost no Redis call. It only holds
// positive answers: "not signed" can change at any moment on another
// instance. It is bounded; when full, an arbitrary entry makes room.
type CertCache struct {
	mu    sync.Mutex
	max   int
	until map[string]time.Time
}

// NewCertCache returns a cache holding at most max hashes.
func NewCertCache(max int) *CertCache {
	return &CertCache{max: max, until: make(map[string]time.Time, max)}
}

// Signed reports whether sha1 is exempt at now.
func (c *CertCache) Signed(sha1 string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.until[sha1]
	if ok && !now.Before(u) {
		delete(c.until, sha1)
		return false
	}
	return ok
}

// Covers reports whether the cache already holds sha1 exempt until at
// least until less slack: a certificate row that would extend the
// exemption by no more than slack need not reach Redis.
func (c *CertCache) Covers(sha1 string, until time.Time, slack time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.until[sha1]
	return ok && !u.Before(until.Add(-slack))
}

// Add records that sha1 is exempt until until.
func (c *CertCache) Add(sha1 string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.until[sha1]; ok && !until.After(u) {
		return
	}
	if len(c.until) >= c.max {
		for k := range c.until {
			delete(c.until, k)
			break
		}
	}
	c.until[sha1] = until
}

// Len returns the number of cached hashes.
func (c *CertCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.until)
}
