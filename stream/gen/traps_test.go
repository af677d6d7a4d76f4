package gen

import (
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// evaluate is a slow reference of the rule over a whole dataset, with a
// lookback that covers it: events deduplicated by identity, the System and
// address checks of the profile, the certificate exemption, then the
// FileProfile filter. It returns the alerting hashes with their counts.
func evaluate(t *testing.T, d Dataset, recs []parsed, parity bool) map[string]int {
	t.Helper()
	seen, certs, counts := map[string]bool{}, map[string]bool{}, map[string]int{}
	for i := range recs {
		r := &recs[i]
		if id := r.id(t); seen[id] {
			continue
		} else {
			seen[id] = true
		}
		switch r.category {
		case certCategory:
			certs[r.str("SHA1")] = true
		case networkCategory:
			name, sid := r.str("InitiatingProcessAccountName"), r.str("InitiatingProcessAccountSid")
			system := strings.EqualFold(name, "system") || !parity && sid == sidSystem
			watched := isCloudflare(r.str("RemoteIP"))
			if parity {
				watched = isDottedCloudflare(r.str("RemoteIP"))
			}
			if h := r.str("InitiatingProcessSHA1"); system && watched && h != "" {
				counts[h]++
			}
		}
	}
	for h := range counts {
		p, ok := d.Profiles[h]
		if certs[h] || !ok || p.SignatureState != "Unsigned" || p.GlobalPrevalence >= 50000 {
			delete(counts, h)
		}
	}
	return counts
}

func TestRuleFindsExactlyThePlanted(t *testing.T) {
	month := spanOptions(8, 5000, day0, day0.AddDate(0, 1, 0))
	short := spanOptions(4, 2000, day0, day0.Add(time.Minute))
	for _, o := range []Options{testOptions(), month, short} {
		d, recs := dataset(t, o)
		for _, parity := range []bool{false, true} {
			got := evaluate(t, d, recs, parity)
			want := d.Planted
			if parity {
				want = d.KQLParity()
			}
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(want))) {
				t.Fatalf("seed %d, parity %v: alerts %v, planted %v", o.Seed, parity, got, want)
			}
			for h, n := range got {
				c := d.Counts[h]
				if parity && n != c.KQLParity || !parity && n != c.Default {
					t.Errorf("seed %d, parity %v: %s counts %d, Counts says %+v", o.Seed, parity, h, n, c)
				}
			}
		}
		for _, h := range append(d.LocalizedSystem, d.IPv6Only...) {
			if slices.Contains(d.KQLParity(), h) {
				t.Errorf("%s is found by kql-parity", h)
			}
		}
	}
}

// trapView is what a trap check sees of one hash.
type trapView struct {
	network []*parsed // its network events
	certs   []*parsed // its certificate rows
	profile Profile
	span    time.Duration
}

// systemCloudflare returns the time of its first System-to-Cloudflare
// event, and whether there is one.
func (v trapView) systemCloudflare() (time.Time, bool) {
	var first time.Time
	for _, r := range v.network {
		if r.str("InitiatingProcessAccountSid") == sidSystem && isCloudflare(r.str("RemoteIP")) {
			ts, _ := time.Parse(time.RFC3339Nano, r.str("Timestamp"))
			if first.IsZero() || ts.Before(first) {
				first = ts
			}
		}
	}
	return first, !first.IsZero()
}

func TestTraps(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"day", testOptions()},
		{"hour", spanOptions(11, 3000, day0, day0.Add(time.Hour))},
		{"month", spanOptions(8, 5000, day0, day0.AddDate(0, 1, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkTraps(t, tt.o) })
	}
}

// trapChecks say, for each kind, what must hold of a trap hash.
var trapChecks = map[TrapKind]func(v trapView) bool{
	TrapCertLate: func(v trapView) bool {
		first, ok := v.systemCloudflare()
		cert, _ := time.Parse(time.RFC3339Nano, v.certs[0].str("Timestamp"))
		gap := cert.Sub(first)
		return ok && rare(v.profile) && gap >= 5*time.Minute && gap <= 30*time.Minute
	},
	TrapCertEarly: func(v trapView) bool {
		first, ok := v.systemCloudflare()
		cert, _ := time.Parse(time.RFC3339Nano, v.certs[0].str("Timestamp"))
		if v.span >= 7*24*time.Hour && first.Sub(cert) < 24*time.Hour {
			return false
		}
		return ok && rare(v.profile) && cert.Before(first)
	},
	TrapNotCloudflare: func(v trapView) bool {
		for _, r := range v.network {
			if isCloudflare(r.str("RemoteIP")) || r.str("InitiatingProcessAccountSid") != sidSystem {
				return false
			}
		}
		return rare(v.profile) && len(v.certs) == 0
	},
	TrapUserAccount: func(v trapView) bool {
		cloudflare := false
		for _, r := range v.network {
			if !strings.HasPrefix(r.str("InitiatingProcessAccountSid"), "S-1-5-21-") {
				return false
			}
			cloudflare = cloudflare || isCloudflare(r.str("RemoteIP"))
		}
		return cloudflare && rare(v.profile) && len(v.certs) == 0
	},
	TrapSignedProfile: func(v trapView) bool {
		_, ok := v.systemCloudflare()
		return ok && v.profile.SignatureState == "Signed" && len(v.certs) == 0
	},
	TrapPrevalent: func(v trapView) bool {
		_, ok := v.systemCloudflare()
		return ok && v.profile.SignatureState == "Unsigned" && v.profile.GlobalPrevalence >= 50000 &&
			len(v.certs) == 0
	},
	TrapDuplicate: func(v trapView) bool {
		return len(v.network) > 0 // checked record by record in TestDuplicates
	},
}

func rare(p Profile) bool { return p.SignatureState == "Unsigned" && p.GlobalPrevalence < 50000 }

// checkTraps checks every trap of the dataset of o, and that all kinds are
// there.
func checkTraps(t *testing.T, o Options) {
	d, recs := dataset(t, o)
	o = o.withDefaults()
	kinds := map[TrapKind]int{}
	for _, tr := range d.Traps {
		kinds[tr.Kind]++
		v := trapView{profile: d.Profiles[tr.SHA1], span: o.End.Sub(o.Start)}
		for i := range recs {
			switch r := &recs[i]; {
			case r.category == networkCategory && r.str("InitiatingProcessSHA1") == tr.SHA1:
				v.network = append(v.network, r)
			case r.category == certCategory && r.str("SHA1") == tr.SHA1:
				v.certs = append(v.certs, r)
			}
		}
		needsCert := tr.Kind == TrapCertLate || tr.Kind == TrapCertEarly
		certsFit := tr.Kind == TrapDuplicate || needsCert == (len(v.certs) > 0)
		if !certsFit || !trapChecks[tr.Kind](v) {
			t.Errorf("seed %d: trap %s %s does not hold (%d events, %d certificate rows, %+v)",
				o.Seed, tr.Kind, tr.SHA1, len(v.network), len(v.certs), v.profile)
		}
	}
	if len(kinds) != len(trapChecks) {
		t.Errorf("seed %d: trap kinds %v, want all %d", o.Seed, kinds, len(trapChecks))
	}
}

func TestDuplicates(t *testing.T) {
	d, recs := dataset(t, testOptions())
	first := map[string]*parsed{}
	resent := map[string]bool{}
	n := 0
	for i := range recs {
		r := &recs[i]
		id := r.id(t)
		orig, ok := first[id]
		if !ok {
			first[id] = r
			continue
		}
		n++
		if orig.msg >= r.msg || !reflect.DeepEqual(orig.props, r.props) {
			t.Fatalf("duplicate %s: messages %d and %d, same properties %v",
				id, orig.msg, r.msg, reflect.DeepEqual(orig.props, r.props))
		}
		resent[r.str("InitiatingProcessSHA1")] = true
	}
	if n == 0 || n != d.Duplicates {
		t.Fatalf("%d re-sent records, Dataset.Duplicates says %d", n, d.Duplicates)
	}
	for _, tr := range d.Traps {
		if tr.Kind == TrapDuplicate && !resent[tr.SHA1] {
			t.Errorf("%s is marked duplicate but none of its records is re-sent", tr.SHA1)
		}
	}
}

func TestLocalizedAndIPv6Only(t *testing.T) {
	d, recs := dataset(t, testOptions())
	for i := range recs {
		r := &recs[i]
		h := r.str("InitiatingProcessSHA1")
		if r.category != networkCategory || h == "" {
			continue
		}
		if slices.Contains(d.LocalizedSystem, h) && r.str("InitiatingProcessAccountName") != "système" {
			t.Errorf("%s runs as %q", h, r.str("InitiatingProcessAccountName"))
		}
		if ip := r.str("RemoteIP"); slices.Contains(d.IPv6Only, h) && isCloudflare(ip) {
			if a := netip.MustParseAddr(ip); !a.Is6() || a.Is4In6() {
				t.Errorf("%s has a Cloudflare peer %s that is not plain IPv6", h, ip)
			}
		}
	}
}
