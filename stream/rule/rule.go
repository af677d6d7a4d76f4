// Package rule is the detection itself, free of I/O: which network events are
// candidates (System account, watched remote address, a process hash), under
// the two profiles. The streaming path and the batch hunt share it.
package rule

import (
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/mde"
)

// Profile names a variant of the rule.
type Profile string

// The two profiles. KQLParity reproduces the hunting query exactly; Default
// is what a detection engineer wants (see the design's profile table).
const (
	Default   Profile = "default"
	KQLParity Profile = "kql-parity"
)

// SystemSID is the well-known SID of the LocalSystem account.
const SystemSID = "S-1-5-18"

// Verdict is the rule's answer for one network event: Candidate, or the
// first reason it is not one. Verdicts are metric labels.
type Verdict uint8

// The verdicts, in the order the rule checks them (cheapest first).
const (
	Candidate Verdict = iota
	NotSystem
	AddressInvalid // RemoteIP empty or not an address this profile reads
	NotWatched     // a valid address outside the watched ranges
	NoHash         // InitiatingProcessSHA1 empty or null
	BadHash        // InitiatingProcessSHA1 not 40 hex digits
)

var verdictNames = [...]string{"candidate", "not_system", "address_invalid",
	"not_watched", "no_hash", "bad_hash"}

// String returns the verdict's metric label.
func (v Verdict) String() string { return verdictNames[v] }

// Rule decides which events are candidates. It is safe for concurrent use;
// its range list can be replaced at any time with SetRanges.
type Rule struct {
	profile Profile
	ranges  atomic.Pointer[config.RangeSet]
}

// New returns a rule for profile p watching ranges. Under KQLParity only the
// IPv4 prefixes of ranges are used, as the query's ipv4_lookup does.
func New(p Profile, ranges *config.RangeSet) *Rule {
	r := &Rule{profile: p}
	r.SetRanges(ranges)
	return r
}

// Profile returns the rule's profile.
func (r *Rule) Profile() Profile { return r.profile }

// SetRanges replaces the watched ranges; events checked after it returns use
// the new list. A list is validated before it gets here (config.ParseRanges),
// so a bad reload never reaches the rule.
func (r *Rule) SetRanges(ranges *config.RangeSet) {
	if r.profile == KQLParity {
		ranges = ranges.IPv4Only()
	}
	r.ranges.Store(ranges)
}

// Ranges returns the watched ranges in force.
func (r *Rule) Ranges() *config.RangeSet { return r.ranges.Load() }

// Check returns the verdict for a network event and, for a candidate, the
// remote address it matched. It does not allocate.
func (r *Rule) Check(rec *mde.Record) (netip.Addr, Verdict) {
	if !r.IsSystem(rec.AccountName, rec.AccountSID) {
		return netip.Addr{}, NotSystem
	}
	addr, ok := r.Address(rec.RemoteIP)
	if !ok {
		return netip.Addr{}, AddressInvalid
	}
	if !r.ranges.Load().Contains(addr) {
		return addr, NotWatched
	}
	switch {
	case rec.ProcessSHA1 == "":
		return addr, NoHash
	case r.profile == Default && !IsSHA1(rec.ProcessSHA1):
		return addr, BadHash
	}
	return addr, Candidate
}

// IsSystem reports whether the process ran as LocalSystem. The query's
// `=~ "System"` is case-insensitive equality with nothing trimmed; Default
// also accepts the SID, which localized account names keep.
func (r *Rule) IsSystem(name, sid string) bool {
	if strings.EqualFold(name, "system") {
		return true
	}
	return r.profile == Default && sid == SystemSID
}

// Address parses RemoteIP as the profile reads it. KQLParity reads dotted
// IPv4 only; Default also reads IPv6 and unmaps ::ffff:a.b.c.d. Neither
// accepts leading zeros, fewer than four parts, or zones.
func (r *Rule) Address(s string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, false
	}
	if r.profile == KQLParity {
		return addr, addr.Is4()
	}
	return addr.Unmap(), true
}

// IsSHA1 reports whether s is 40 hexadecimal digits.
func IsSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Qualifies decides on a hash from its FileProfile answer: it must be
// Unsigned with GlobalPrevalence below maxPrevalence. Without an answer,
// KQLParity drops the hash, as the query's inner join with FileProfile
// does; Default alerts with the prevalence unknown, because a file no
// provider knows is rarer still.
func (r *Rule) Qualifies(p enrich.Profile, maxPrevalence int64) bool {
	if !p.Known {
		return r.profile == Default
	}
	return p.SignatureState == "Unsigned" && p.GlobalPrevalence < maxPrevalence
}
