// Package enrich answers FileProfile look-ups: the signature state and global
// prevalence of a file, which the Defender hunting function FileProfile gives
// a query but the streaming API does not carry. A Provider answers for a batch
// of hashes; the state package caches the answers in Redis.
package enrich

import "context"

// Profile is what a provider knows of a file.
type Profile struct {
	// SHA1 is the file's hash, lower-case hex.
	SHA1 string
	// SHA256 is the file's SHA256, lower-case hex, or empty when the provider
	// does not have it.
	SHA256 string
	// SignatureState is Defender's verdict on the file's signature as the
	// provider reports it, for example "Unsigned" or "SignedValid".
	SignatureState string
	// GlobalPrevalence is the number of machines worldwide Defender has seen
	// the file on.
	GlobalPrevalence int64
	// Known is true for every profile a provider returns. The zero Profile,
	// with Known false, stands for an unknown file, for example in a cache.
	Known bool
	// Source names the provider that answered (see Provider.Name).
	Source string
}

// Provider answers FileProfile look-ups.
//
// Lookup returns a profile for each of sha1s that the provider knows, keyed by
// the hash exactly as given. A hash missing from the map is unknown, which is
// an answer, not an error. An error means the provider could not answer now
// (unreachable, rate-limited, ctx done): the caller retries later and never
// reads an error as "unknown". Hashes are lower-case hex; a provider may
// accept other cases. Lookup must be safe for concurrent use.
//
// Name returns the provider's name, which is also the Source of its profiles.
type Provider interface {
	Name() string
	Lookup(ctx context.Context, sha1s []string) (map[string]Profile, error)
}

// Provider names.
const (
	NameNone = "none"
	NameFile = "file"
)

// None is the provider that knows nothing: every hash is unknown. With it,
// the default rule profile alerts with prevalence "unknown".
type None struct{}

// Name returns "none".
func (None) Name() string { return NameNone }

// Lookup returns an empty map.
func (None) Lookup(context.Context, []string) (map[string]Profile, error) {
	return map[string]Profile{}, nil
}
