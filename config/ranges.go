package config

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"
)

// RangeSet is an immutable set of IPv4 and IPv6 prefixes: the address
// ranges the rule watches. It is safe for concurrent use; a reload builds a
// new RangeSet and swaps a pointer, so a list that fails to parse never
// replaces the last good one.
type RangeSet struct {
	// Version names the list in alerts ("cloudflare-bundled-2026-10-14", a
	// Cloudflare etag, or a file's name and content hash). It is set when
	// the set is built and must not be changed.
	Version string

	set       *netipx.IPSet
	v4        []v4Range      // set's IPv4 ranges, sorted, for Contains
	prefixes  []netip.Prefix // listed entries, masked, sorted, duplicates removed
	redundant []netip.Prefix // entries inside another entry, or listed twice
}

// v4Range is an inclusive range of IPv4 addresses as integers.
type v4Range struct{ first, last uint32 }

// ErrNoRanges is returned for a range list with no entries.
var ErrNoRanges = errors.New("range list is empty")

// RangeError reports an entry of a range list that is not a CIDR prefix.
// The whole list is rejected.
type RangeError struct {
	Index int    // position in the list, from 0
	Entry string // the entry as given
	Err   error  // netip.ParsePrefix's error
}

// Error names the entry and its index.
func (e *RangeError) Error() string {
	return fmt.Sprintf("range entry %d %q is not a CIDR prefix: %v", e.Index, e.Entry, e.Err)
}

// Unwrap returns the parse error.
func (e *RangeError) Unwrap() error { return e.Err }

// ParseRanges builds a RangeSet from CIDR prefixes ("104.16.0.0/13",
// "2606:4700::/32"). One bad entry fails the whole list with a *RangeError;
// an empty list fails with ErrNoRanges. Host bits are masked
// ("104.16.1.1/13" is 104.16.0.0/13) and overlapping entries are accepted
// (see Redundant).
func ParseRanges(version string, cidrs []string) (*RangeSet, error) {
	prefixes, err := parsePrefixes(cidrs)
	if err != nil {
		return nil, err
	}
	if len(prefixes) == 0 {
		return nil, ErrNoRanges
	}
	return newRangeSet(version, prefixes), nil
}

// parsePrefixes parses and masks every entry.
func parsePrefixes(cidrs []string) ([]netip.Prefix, error) {
	prefixes := make([]netip.Prefix, 0, len(cidrs))
	for i, s := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, &RangeError{Index: i, Entry: s, Err: err}
		}
		prefixes = append(prefixes, p.Masked())
	}
	return prefixes, nil
}

// newRangeSet builds a set from valid, masked prefixes, which it sorts.
func newRangeSet(version string, prefixes []netip.Prefix) *RangeSet {
	slices.SortFunc(prefixes, netip.Prefix.Compare)

	// Prefixes either nest or are disjoint, and in sorted order an entry
	// comes after every entry containing it, so a stack of the entries still
	// "open" finds the redundant ones in one pass.
	s := &RangeSet{Version: version}
	var open []netip.Prefix
	var b netipx.IPSetBuilder
	for _, p := range prefixes {
		for len(open) > 0 && !contains(open[len(open)-1], p) {
			open = open[:len(open)-1]
		}
		if len(open) > 0 {
			s.redundant = append(s.redundant, p)
		}
		if len(open) > 0 && open[len(open)-1] == p {
			continue // listed twice
		}
		open = append(open, p)
		s.prefixes = append(s.prefixes, p)
		b.AddPrefix(p)
	}

	// The builder fails only on invalid prefixes, which were rejected above.
	set, err := b.IPSet()
	if err != nil {
		panic("config: building a range set from valid prefixes: " + err.Error())
	}
	s.set = set
	for _, r := range set.Ranges() {
		if r.From().Is4() {
			s.v4 = append(s.v4, v4Range{v4Int(r.From()), v4Int(r.To())})
		}
	}
	return s
}

func v4Int(addr netip.Addr) uint32 {
	b := addr.As4()
	return binary.BigEndian.Uint32(b[:])
}

// contains reports whether prefix outer holds all of inner.
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// Contains reports whether addr is in one of the ranges. It does not
// allocate.
//
// addr is matched as it is: an IPv4-mapped IPv6 address (::ffff:104.16.5.7)
// is an IPv6 address and is not in an IPv4 range, and an address with a
// zone is in no range. Unmapping (addr.Unmap()) is the caller's choice: the
// default profile unmaps, kql-parity does not.
func (s *RangeSet) Contains(addr netip.Addr) bool {
	if s == nil {
		return false
	}
	if !addr.Is4() {
		return s.set != nil && s.set.Contains(addr)
	}

	// Most lookups are IPv4: a binary search over integers is several
	// times faster than IPSet's over netip.Addr.
	x := v4Int(addr)
	lo, hi := 0, len(s.v4)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.v4[m].last < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(s.v4) && s.v4[lo].first <= x
}

// Match returns the most specific listed prefix containing addr, matched
// as Contains matches it, for an alert's "ranges matched".
func (s *RangeSet) Match(addr netip.Addr) (netip.Prefix, bool) {
	if !s.Contains(addr) {
		return netip.Prefix{}, false
	}
	var best netip.Prefix
	for _, p := range s.prefixes {
		if p.Contains(addr) && (!best.IsValid() || p.Bits() > best.Bits()) {
			best = p
		}
	}
	return best, best.IsValid()
}

// Prefixes returns the listed prefixes, masked, without duplicates, sorted
// (IPv4 first, then by address and length). The caller may modify the slice.
func (s *RangeSet) Prefixes() []netip.Prefix {
	if s == nil {
		return nil
	}
	return slices.Clone(s.prefixes)
}

// Redundant returns the entries that add nothing to the set: listed twice
// (after masking) or inside another entry. They are harmless; a reload may
// warn about them.
func (s *RangeSet) Redundant() []netip.Prefix {
	if s == nil {
		return nil
	}
	return slices.Clone(s.redundant)
}

// IPv4Only returns the set restricted to its IPv4 prefixes, with the same
// Version (the kql-parity profile matches IPv4 only). The result may be
// empty. It returns s itself when s has no IPv6 prefix.
func (s *RangeSet) IPv4Only() *RangeSet {
	if s == nil {
		return nil
	}
	v4 := make([]netip.Prefix, 0, len(s.prefixes))
	for _, p := range s.prefixes {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		}
	}
	if len(v4) == len(s.prefixes) {
		return s
	}
	out := newRangeSet(s.Version, v4)
	out.redundant = nil // keep the entries listed twice, which v4 no longer shows
	for _, p := range s.redundant {
		if p.Addr().Is4() {
			out.redundant = append(out.redundant, p)
		}
	}
	return out
}
