package enrich

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// writeFile writes content to a file in a fresh directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenFile(t *testing.T) {
	unsignedA := known(hashA, "", "Unsigned", 12)
	tests := []struct {
		name, content string
		want          map[string]Profile
	}{{
		name:    "csv, FileProfile column order",
		content: "SHA1,SHA256,SignatureState,GlobalPrevalence\n" + hashA + "," + sha2A + ",Unsigned,12\n",
		want:    map[string]Profile{hashA: known(hashA, sha2A, "Unsigned", 12)},
	}, {
		name: "csv, other order, any case, extra columns, upper-case hash, CRLF, BOM",
		content: "\uFEFFglobalprevalence,Extra, signaturestate ,sha1\r\n" +
			"12,x,Unsigned,A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1\r\n" +
			"\r\n" +
			"250000,\"quoted, comma\",SignedValid," + hashC + "\r\n",
		want: map[string]Profile{hashA: unsignedA, hashC: known(hashC, "", "SignedValid", 250000)},
	}, {
		name: "csv, unknown rows left out, later row wins",
		content: "SHA1,SignatureState,GlobalPrevalence,ProfileAvailability\n" +
			hashA + ",Unsigned,99,Available\n" +
			hashA + ",Unsigned,12,Available\n" +
			hashC + ",Unsigned,,Available\n" +
			hashZ + ",Unsigned,5,Not available\n",
		want: map[string]Profile{hashA: unsignedA},
	}, {
		name:    "csv, header only",
		content: "SHA1,SignatureState,GlobalPrevalence\n",
		want:    map[string]Profile{},
	}, {
		name: "json lines",
		content: `{"SHA1":"` + hashA + `","SHA256":"` + sha2A +
			`","SignatureState":"Unsigned","GlobalPrevalence":12,"Extra":{"x":[1]}}` + "\n\n" +
			`{"sha1":"` + hashC + `","signaturestate":"SignedValid","globalprevalence":"250000"}` + "\n" +
			`{"SHA1":"` + hashZ + `","SignatureState":"Unsigned","GlobalPrevalence":null}` + "\n",
		want: map[string]Profile{
			hashA: known(hashA, sha2A, "Unsigned", 12),
			hashC: known(hashC, "", "SignedValid", 250000),
		},
	}, {
		name: "json object by sha1, one line",
		content: `{"` + hashA +
			`":{"ProfileAvailability":"Available","SignatureState":"Unsigned","GlobalPrevalence":12},` +
			`"` + hashZ + `":{"ProfileAvailability":"NotAvailable"}}`,
		want: map[string]Profile{hashA: unsignedA},
	}, {
		name:    "json object, empty",
		content: "  {}\n",
		want:    map[string]Profile{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenFile(writeFile(t, "profiles", tt.content))
			if err != nil {
				t.Fatalf("OpenFile: %v", err)
			}
			if !reflect.DeepEqual(f.profiles, tt.want) {
				t.Errorf("profiles\n got %+v\nwant %+v", f.profiles, tt.want)
			}
		})
	}
}

// TestOpenFileFixture reads the shape of the test cases' fileProfiles
// fixtures, pretty-printed, and looks up known and unknown hashes.
func TestOpenFileFixture(t *testing.T) {
	f, err := OpenFile(filepath.Join("testdata", "profiles.fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Lookup(context.Background(), []string{hashA, hashC, hashZ})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Profile{
		hashA: known(hashA, "", "Unsigned", 12),
		hashC: known(hashC, "", "SignedValid", 250000),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup\n got %+v\nwant %+v", got, want)
	}
}

func TestOpenFileErrors(t *testing.T) {
	header := "SHA1,SignatureState,GlobalPrevalence\n"
	tests := []struct {
		name, content string
		line          int
		column        string
		is            error
	}{
		{"empty file", "", 1, "", ErrMissingColumn},
		{"csv without SHA1 column", "SHA256,SignatureState,GlobalPrevalence\n", 1, ColSHA1, ErrMissingColumn},
		{"csv without prevalence column", "SHA1,SignatureState\n", 1, ColGlobalPrevalence, ErrMissingColumn},
		{"csv column twice", "SHA1,sha1,SignatureState,GlobalPrevalence\n", 1, ColSHA1, ErrBadValue},
		{"csv short hash", header + hashA + ",Unsigned,1\nabc,Unsigned,1\n", 3, ColSHA1, ErrBadValue},
		{"csv non-hex hash", header + "g1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1,Unsigned,1\n", 2, ColSHA1, ErrBadValue},
		{"csv bad prevalence", header + hashA + ",Unsigned,many\n", 2, ColGlobalPrevalence, ErrBadValue},
		{"csv negative prevalence", header + hashA + ",Unsigned,-4\n", 2, ColGlobalPrevalence, ErrBadValue},
		{"csv bad sha256", "SHA1,SHA256,SignatureState,GlobalPrevalence\n" + hashA + ",beef,Unsigned,1\n",
			2, ColSHA256, ErrBadValue},
		{"csv wrong field count", header + hashA + ",Unsigned\n", 2, "", ErrBadValue},
		{"csv bare quote", header + hashA + ",Uns\"igned,1\n", 2, "", ErrBadValue},
		{"jsonl bad line", `{"SHA1":"` + hashA + `","SignatureState":"Unsigned","GlobalPrevalence":1}` + "\n{\"SHA1\":\n",
			2, "", ErrBadValue},
		{"jsonl fractional prevalence", `{"SHA1":"` + hashA + `","SignatureState":"Unsigned","GlobalPrevalence":1.5}`,
			1, ColGlobalPrevalence, ErrBadValue},
		{"jsonl prevalence object", `{"SHA1":"` + hashA + `","GlobalPrevalence":{"n":1}}`,
			1, ColGlobalPrevalence, ErrBadValue},
		{"jsonl state not a string", `{"SHA1":"` + hashA + `","SignatureState":7,"GlobalPrevalence":1}`,
			1, ColSignatureState, ErrBadValue},
		{"map truncated", "{\n  \"" + hashA + "\": {\"GlobalPrevalence\": 12}\n", 2, "", ErrBadValue},
		{"map bad token", "{\n  \"" + hashA + "\": {\"GlobalPrevalence\": 12},\n  \"x\": ?\n}", 3, "", ErrBadValue},
		{"map key not a hash",
			"{\n  \"" + hashA + "\": {\"GlobalPrevalence\": 12},\n  \"nope\": {\"GlobalPrevalence\": 1}\n}",
			3, ColSHA1, ErrBadValue},
		{"map entry not an object", "{\n\n  \"" + hashA + "\": 12\n}", 3, "", ErrBadValue},
		{"map SHA1 differs from key", `{"` + hashA + `":{"SHA1":"` + hashC + `","GlobalPrevalence":1}}`,
			1, ColSHA1, ErrBadValue},
		{"row lacking SHA1 read as a map", `{"SignatureState":"Unsigned","GlobalPrevalence":1}`,
			1, ColSHA1, ErrMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "profiles", tt.content)
			_, err := OpenFile(path)
			t.Log(err)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParseError", err)
			}
			if pe.File != path || pe.Line != tt.line || pe.Column != tt.column || !errors.Is(err, tt.is) {
				t.Errorf("got %q (line %d, column %q), want line %d, column %q, wrapping %v",
					err, pe.Line, pe.Column, tt.line, tt.column, tt.is)
			}
		})
	}
}

func TestOpenFileMissing(t *testing.T) {
	_, err := OpenFile(filepath.Join(t.TempDir(), "absent.csv"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want one wrapping os.ErrNotExist", err)
	}
}
