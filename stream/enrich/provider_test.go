package enrich

import (
	"context"
	"reflect"
	"testing"
)

const (
	hashA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	hashC = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
	hashZ = "ffffffffffffffffffffffffffffffffffffffff" // never in a fixture
	sha2A = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
)

// known returns the profile a file provider gives for sha1.
func known(sha1, sha256, state string, prevalence int64) Profile {
	return Profile{SHA1: sha1, SHA256: sha256, SignatureState: state,
		GlobalPrevalence: prevalence, Known: true, Source: NameFile}
}

func TestNone(t *testing.T) {
	var p Provider = None{}
	got, err := p.Lookup(context.Background(), []string{hashA, hashZ})
	if err != nil || len(got) != 0 {
		t.Errorf("Lookup = %v, %v; want an empty answer", got, err)
	}
	if p.Name() != "none" {
		t.Errorf("Name = %q", p.Name())
	}
}

func TestStatic(t *testing.T) {
	f := NewStatic(map[string]Profile{
		"A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1": {SignatureState: "Unsigned", GlobalPrevalence: 12},
		hashC: {SignatureState: "SignedValid", GlobalPrevalence: 9, Source: "demo"},
	})
	tests := []struct {
		name  string
		query []string
		want  map[string]Profile
	}{
		{"nothing asked", nil, map[string]Profile{}},
		{"unknown hash", []string{hashZ}, map[string]Profile{}},
		{"known, keyed as asked", []string{hashA, "C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3", hashZ},
			map[string]Profile{
				hashA: known(hashA, "", "Unsigned", 12),
				"C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3": {SHA1: hashC, SignatureState: "SignedValid",
					GlobalPrevalence: 9, Known: true, Source: "demo"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Lookup(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if f.Name() != NameFile || f.Len() != 2 {
		t.Errorf("Name %q, Len %d", f.Name(), f.Len())
	}
}
