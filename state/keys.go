// Package state keeps flarewatch's state in Redis: the certificate set, the
// windowed per-hash counters, exact re-read and duplicate detection, alert
// episodes, the queue of hashes waiting out the grace period, and the
// profile cache.
//
// Every key of one hash carries the hash in braces, so all of them share a
// Redis Cluster slot and each update of a hash is atomic in one Lua script.
// Nothing relies on atomicity across hashes: on a single server one script
// call updates many hashes, each on its own (see Store.calls). Every key
// expires.
package state

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// Keys builds the key names of one namespace.
type Keys struct {
	ns string // "fw", or a replay's own namespace
}

// NewKeys returns the key builder for namespace ns (for example "fw").
func NewKeys(ns string) Keys { return Keys{ns: ns} }

// Namespace returns the namespace; every key starts with it and a colon.
func (k Keys) Namespace() string { return k.ns }

// Pattern returns a SCAN pattern matching every key of the namespace.
func (k Keys) Pattern() string { return k.ns + ":*" }

// Pending is the sorted set of hashes waiting out the grace period, scored by
// due time. Its members are "tenant|sha1" (tenant empty when shared).
func (k Keys) Pending() string { return k.ns + ":{pending}" }

// Cert is a hash's certificate key. It is shared by all tenants: a signature
// belongs to the file, not to the customer.
func (k Keys) Cert(sha1 string) string { return k.ns + ":{" + tag(sha1) + "}:cert" }

// Episodes is a hash's index of its episodes in every tenant scope: tenant
// -> episode key. A certificate row, which signs the file for everyone,
// ends them all.
func (k Keys) Episodes(sha1 string) string { return k.ns + ":{" + tag(sha1) + "}:eps" }

// Profile is a hash's cached FileProfile answer, shared by all tenants.
func (k Keys) Profile(sha1 string) string { return k.ns + ":{" + tag(sha1) + "}:profile" }

// tag returns what stands for a hash between a key's braces: the hash
// itself, or, when it holds a brace (under kql-parity an event's hash is
// any non-empty text) or starts with '~', '~' and its bytes in hex. A brace
// inside would end the hash tag early and scatter the hash's keys over
// Redis Cluster slots.
func tag(sha1 string) string {
	if !strings.ContainsAny(sha1, "{}") && !strings.HasPrefix(sha1, "~") {
		return sha1
	}
	return "~" + hex.EncodeToString([]byte(sha1))
}

// Hash returns the keys of one hash in one tenant scope ("" when shared).
func (k Keys) Hash(tenant, sha1 string) HashKeys {
	var b strings.Builder
	b.WriteString(k.ns)
	if tenant != "" {
		b.WriteString(":t:")
		b.WriteString(tenant)
	}
	b.WriteString(":{")
	b.WriteString(tag(sha1))
	b.WriteString("}:")
	p := b.String()
	return HashKeys{
		Cert:     k.Cert(sha1),
		Episodes: k.Episodes(sha1),
		Totals:   p + "g",
		Buckets:  p + "b",
		Offsets:  p + "off",
		Episode:  p + "ep",
		prefix:   p,
	}
}

// HashKeys are the keys of one hash in one tenant scope.
type HashKeys struct {
	Cert     string // newest certificate time, unix ms
	Episodes string // hash: tenant -> episode key, for every tenant scope
	Totals   string // hash: per-group counts over the window, per-device first and last seen
	Buckets  string // sorted set: start of each counter bucket in the window
	Offsets  string // hash: per input partition, the last position applied
	Episode  string // hash: the alert episode
	prefix   string
}

// Bucket is the counter bucket starting at startMs.
func (h HashKeys) Bucket(startMs int64) string {
	return h.BucketPrefix() + strconv.FormatInt(startMs, 10)
}

// BucketPrefix is what every bucket key of the hash starts with.
func (h HashKeys) BucketPrefix() string { return h.prefix + "n:" }

// Seen is the set of event ids seen in the bucket starting at startMs, kept
// for the dedup window only.
func (h HashKeys) Seen(startMs int64) string {
	return h.prefix + "seen:" + strconv.FormatInt(startMs, 10)
}

// PendingMember is the member of the pending set for a hash in a tenant scope.
func PendingMember(tenant, sha1 string) string { return tenant + "|" + sha1 }

// SplitPendingMember is the inverse of PendingMember.
func SplitPendingMember(m string) (tenant, sha1 string) {
	i := strings.LastIndexByte(m, '|')
	if i < 0 {
		return "", m
	}
	return m[:i], m[i+1:]
}
