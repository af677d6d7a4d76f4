package config

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestBundledCloudflare(t *testing.T) {
	set := BundledCloudflare()
	var v4, v6 int
	for _, p := range set.Prefixes() {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 != 15 || v6 != 7 {
		t.Errorf("bundled list has %d IPv4 and %d IPv6 ranges, want 15 and 7", v4, v6)
	}
	if set.Version != BundledVersion {
		t.Errorf("Version = %q, want %q", set.Version, BundledVersion)
	}
	if len(set.Redundant()) != 0 {
		t.Errorf("Redundant() = %v, want none", set.Redundant())
	}
	if BundledCloudflare() != set {
		t.Error("BundledCloudflare built the set twice")
	}
}

func TestRangeSetContains(t *testing.T) {
	set := BundledCloudflare()
	v4 := set.IPv4Only()
	tests := []struct {
		addr      string
		want      bool
		wantV4    bool
		wantMatch string
	}{
		{"104.16.5.7", true, true, "104.16.0.0/13"},
		{"104.23.255.255", true, true, "104.16.0.0/13"},
		{"104.24.0.1", true, true, "104.24.0.0/14"},
		{"104.27.255.255", true, true, "104.24.0.0/14"},
		// 104.16.0.0/13 ends at 104.23.255.255 and 104.24.0.0/14 at
		// 104.27.255.255: 104.28.0.1 is in neither.
		{"104.28.0.1", false, false, ""},
		{"172.64.0.1", true, true, "172.64.0.0/13"},
		{"131.0.72.9", true, true, "131.0.72.0/22"},
		{"8.8.8.8", false, false, ""},
		{"2606:4700::6810:507", true, false, "2606:4700::/32"},
		{"2a06:98c7:ffff::1", true, false, "2a06:98c0::/29"},
		{"2001:db8::1", false, false, ""},
		// Mapped and zoned addresses are matched as they are.
		{"::ffff:104.16.5.7", false, false, ""},
		{"2606:4700::1%eth0", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			if got := set.Contains(addr); got != tt.want {
				t.Errorf("Contains = %v, want %v", got, tt.want)
			}
			if got := v4.Contains(addr); got != tt.wantV4 {
				t.Errorf("IPv4Only().Contains = %v, want %v", got, tt.wantV4)
			}
			p, ok := set.Match(addr)
			if ok != tt.want || (ok && p.String() != tt.wantMatch) {
				t.Errorf("Match = %v, %v; want %s, %v", p, ok, tt.wantMatch, tt.want)
			}
		})
	}

	// Unmapping is the caller's step; after it the address matches.
	if !set.Contains(netip.MustParseAddr("::ffff:104.16.5.7").Unmap()) {
		t.Error("the unmapped address is not contained")
	}
	if (*RangeSet)(nil).Contains(netip.MustParseAddr("104.16.5.7")) || (&RangeSet{}).Contains(netip.Addr{}) {
		t.Error("a nil or zero RangeSet contains an address")
	}
}

func TestParseRanges(t *testing.T) {
	tests := []struct {
		name          string
		cidrs         []string
		wantPrefixes  []string
		wantRedundant []string
		wantIndex     int // of the bad entry; -1 for none
	}{
		{
			name:         "host bits masked",
			cidrs:        []string{"104.16.1.1/13", " 2606:4700::1/32 "},
			wantPrefixes: []string{"104.16.0.0/13", "2606:4700::/32"},
			wantIndex:    -1,
		},
		{
			name: "overlaps and duplicates kept apart",
			cidrs: []string{"104.16.0.0/13", "104.16.1.1/13", "104.16.0.0/12",
				"104.17.0.0/16", "1.1.1.0/24"},
			wantPrefixes:  []string{"1.1.1.0/24", "104.16.0.0/12", "104.16.0.0/13", "104.17.0.0/16"},
			wantRedundant: []string{"104.16.0.0/13", "104.16.0.0/13", "104.17.0.0/16"},
			wantIndex:     -1,
		},
		{name: "prefix too long", cidrs: []string{"104.16.0.0/13", "104.16.0.0/33"}, wantIndex: 1},
		{name: "garbage", cidrs: []string{"garbage", "104.16.0.0/13"}, wantIndex: 0},
		{name: "address without length", cidrs: []string{"104.16.0.1"}, wantIndex: 0},
		{name: "empty entry", cidrs: []string{"1.0.0.0/8", ""}, wantIndex: 1},
		{name: "zone", cidrs: []string{"fe80::%eth0/64"}, wantIndex: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseRanges("test", tt.cidrs)
			if tt.wantIndex >= 0 {
				var re *RangeError
				if !errors.As(err, &re) || re.Index != tt.wantIndex || re.Entry != tt.cidrs[tt.wantIndex] {
					t.Fatalf("ParseRanges = %v, want a RangeError for entry %d", err, tt.wantIndex)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRanges: %v", err)
			}
			if got := prefixStrings(set.Prefixes()); !slices.Equal(got, tt.wantPrefixes) {
				t.Errorf("Prefixes() = %v, want %v", got, tt.wantPrefixes)
			}
			if got := prefixStrings(set.Redundant()); !slices.Equal(got, tt.wantRedundant) {
				t.Errorf("Redundant() = %v, want %v", got, tt.wantRedundant)
			}
		})
	}

	if _, err := ParseRanges("empty", nil); !errors.Is(err, ErrNoRanges) {
		t.Errorf("ParseRanges(nil) = %v, want ErrNoRanges", err)
	}
}

// TestRangeReload follows case B04: a reload to a list that does not parse
// fails as a whole and leaves the active set as it was.
func TestRangeReload(t *testing.T) {
	active, err := ParseRanges("pre-2021", []string{"104.16.0.0/12", "172.64.0.0/13"})
	if err != nil {
		t.Fatal(err)
	}
	if !active.Contains(netip.MustParseAddr("104.28.0.1")) {
		t.Fatal("104.16.0.0/12 should hold 104.28.0.1")
	}

	current := BundledCloudflare().Prefixes()
	if next, err := ParseRanges("current", prefixStrings(current)); err == nil {
		active = next
	}
	if active.Contains(netip.MustParseAddr("104.28.0.1")) {
		t.Error("104.28.0.1 still matches after the reload removed its range")
	}

	bad := append(prefixStrings(current), "104.16.0.0/33")
	next, err := ParseRanges("bad", bad)
	var re *RangeError
	if next != nil || !errors.As(err, &re) || re.Index != len(bad)-1 || re.Entry != "104.16.0.0/33" {
		t.Fatalf("ParseRanges(... /33) = %v, %v; want a RangeError naming the entry", next, err)
	}
	if active.Version != "current" || !active.Contains(netip.MustParseAddr("104.16.0.1")) {
		t.Error("the failed reload changed the active set")
	}

	overlapping := append(prefixStrings(current), "104.16.1.1/13", "104.16.0.0/12")
	if active, err = ParseRanges("overlapping", overlapping); err != nil {
		t.Fatal(err)
	}
	inside := netip.MustParseAddr("104.17.1.1")
	if !active.Contains(inside) || len(active.Redundant()) != 3 {
		t.Errorf("overlapping list: contains %v, redundant %v", active.Contains(inside),
			active.Redundant())
	}
}

func TestIPv4Only(t *testing.T) {
	set := BundledCloudflare()
	v4 := set.IPv4Only()
	if len(v4.Prefixes()) != 15 || v4.Version != set.Version {
		t.Errorf("IPv4Only: %d prefixes, version %q; want 15, %q",
			len(v4.Prefixes()), v4.Version, set.Version)
	}
	if v4.IPv4Only() != v4 {
		t.Error("IPv4Only of an IPv4-only set made a copy")
	}

	v6only, err := ParseRanges("v6", []string{"2606:4700::/32"})
	if err != nil {
		t.Fatal(err)
	}
	empty := v6only.IPv4Only()
	if len(empty.Prefixes()) != 0 || empty.Contains(netip.MustParseAddr("2606:4700::1")) {
		t.Error("IPv4Only of an IPv6 list is not empty")
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func BenchmarkRangeSetContains(b *testing.B) {
	set := BundledCloudflare()
	for _, bm := range []struct{ name, addr string }{
		{"ipv4-in", "104.16.5.7"},
		{"ipv4-out", "8.8.8.8"}, // the common case
		{"ipv6-in", "2606:4700::6810:507"},
		{"ipv6-out", "2001:db8::1"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			addr := netip.MustParseAddr(bm.addr)
			b.ReportAllocs()
			for b.Loop() {
				set.Contains(addr)
			}
		})
	}
}

func BenchmarkRangeSetMatch(b *testing.B) {
	set := BundledCloudflare()
	addr := netip.MustParseAddr("104.16.5.7")
	b.ReportAllocs()
	for b.Loop() {
		set.Match(addr)
	}
}

func TestContainsDoesNotAllocate(t *testing.T) {
	set := BundledCloudflare()
	addr := netip.MustParseAddr("2606:4700::6810:507")
	if n := testing.AllocsPerRun(100, func() { set.Contains(addr) }); n != 0 {
		t.Errorf("Contains allocates %v times a call, want 0", n)
	}
}

// FuzzRangeSetContains checks Contains and Match against a linear scan of
// the listed prefixes.
func FuzzRangeSetContains(f *testing.F) {
	for _, seed := range []string{"104.16.5.7", "104.28.0.1", "104.23.255.255", "0.0.0.0",
		"255.255.255.255", "2606:4700::1", "::ffff:104.16.5.7", "2a06:98c7:ffff::1", "::"} {
		f.Add(netip.MustParseAddr(seed).AsSlice())
	}
	set, err := ParseRanges("fuzz", append(prefixStrings(BundledCloudflare().Prefixes()),
		"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "0.0.0.0/32", "255.255.255.0/24"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		addr, ok := netip.AddrFromSlice(raw)
		if !ok {
			return
		}
		var want netip.Prefix
		for _, p := range set.Prefixes() {
			if p.Contains(addr) && (!want.IsValid() || p.Bits() > want.Bits()) {
				want = p
			}
		}
		if got := set.Contains(addr); got != want.IsValid() {
			t.Fatalf("Contains(%s) = %v, want %v", addr, got, want.IsValid())
		}
		if got, ok := set.Match(addr); got != want || ok != want.IsValid() {
			t.Fatalf("Match(%s) = %v, %v; want %v", addr, got, ok, want)
		}
	})
}
