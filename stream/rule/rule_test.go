package rule

import (
	"testing"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/mde"
)

const sha1 = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		account    string
		sid        string
		ip         string
		hash       string
		def, query Verdict
	}{
		{"system, cloudflare ipv4", "system", "S-1-5-18", "104.16.5.7", sha1, Candidate, Candidate},
		{"SYSTEM upper case", "SYSTEM", "", "104.16.5.7", sha1, Candidate, Candidate},
		{"name trimmed is not system", " system", "", "104.16.5.7", sha1, NotSystem, NotSystem},
		{"localized name, system sid", "système", "S-1-5-18", "104.16.5.7", sha1, Candidate, NotSystem},
		{"user account", "user1", "S-1-5-21-1", "104.16.5.7", sha1, NotSystem, NotSystem},
		{"mapped ipv4", "system", "", "::ffff:104.16.5.7", sha1, Candidate, AddressInvalid},
		{"cloudflare ipv6", "system", "", "2606:4700::6810:507", sha1, Candidate, AddressInvalid},
		{"ipv4-compatible is not mapped", "system", "", "::104.16.5.7", sha1, NotWatched, AddressInvalid},
		{"nat64 is not unmapped", "system", "", "64:ff9b::104.16.5.7", sha1, NotWatched, AddressInvalid},
		{"leading zeros", "system", "", "104.016.005.007", sha1, AddressInvalid, AddressInvalid},
		{"three parts", "system", "", "104.16.5", sha1, AddressInvalid, AddressInvalid},
		{"empty address", "system", "", "", sha1, AddressInvalid, AddressInvalid},
		{"zone", "system", "", "fe80::1%eth0", sha1, AddressInvalid, AddressInvalid},
		{"not cloudflare", "system", "", "20.42.65.85", sha1, NotWatched, NotWatched},
		{"no hash", "system", "", "104.16.5.7", "", NoHash, NoHash},
		{"not a sha1", "system", "", "104.16.5.7", "a1}", BadHash, Candidate},
	}
	def := New(Default, config.BundledCloudflare())
	query := New(KQLParity, config.BundledCloudflare())
	for _, tt := range tests {
		rec := &mde.Record{AccountName: tt.account, AccountSID: tt.sid, RemoteIP: tt.ip, ProcessSHA1: tt.hash}
		if _, got := def.Check(rec); got != tt.def {
			t.Errorf("%s: default = %v, want %v", tt.name, got, tt.def)
		}
		if _, got := query.Check(rec); got != tt.query {
			t.Errorf("%s: kql-parity = %v, want %v", tt.name, got, tt.query)
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	r := New(Default, config.BundledCloudflare())
	rec := &mde.Record{AccountName: "system", RemoteIP: "104.16.5.7", ProcessSHA1: sha1}
	if n := testing.AllocsPerRun(100, func() { r.Check(rec) }); n != 0 {
		t.Errorf("Check allocates %v times", n)
	}
}

func TestQualifies(t *testing.T) {
	tests := []struct {
		name       string
		p          enrich.Profile
		def, query bool
	}{
		{"unsigned and rare", enrich.Profile{Known: true, SignatureState: "Unsigned", GlobalPrevalence: 12}, true, true},
		{"at the threshold", enrich.Profile{Known: true, SignatureState: "Unsigned", GlobalPrevalence: 50000}, false, false},
		{"signed", enrich.Profile{Known: true, SignatureState: "SignedValid", GlobalPrevalence: 1}, false, false},
		{"no answer", enrich.Profile{}, true, false},
	}
	def, query := New(Default, config.BundledCloudflare()), New(KQLParity, config.BundledCloudflare())
	for _, tt := range tests {
		if got := def.Qualifies(tt.p, 50000); got != tt.def {
			t.Errorf("%s: default = %v", tt.name, got)
		}
		if got := query.Qualifies(tt.p, 50000); got != tt.query {
			t.Errorf("%s: kql-parity = %v", tt.name, got)
		}
	}
}
