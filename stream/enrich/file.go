package enrich

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
)

// File is a provider that answers from profiles loaded into memory: from a
// file of FileProfile rows (OpenFile) or from a map (NewStatic). It is meant
// for offline hunts, replays, tests and the demo. A File never changes after
// it is made, so it is safe for concurrent use.
type File struct {
	profiles map[string]Profile // by lower-case SHA1
}

// OpenFile loads the profiles in the file at path, which holds one of:
//
//   - CSV with a header row naming the columns SHA1, SignatureState,
//     GlobalPrevalence and optionally SHA256 and ProfileAvailability, in any
//     order and any case; other columns are ignored;
//   - JSON lines, one object per line with those keys;
//   - one JSON object mapping each SHA1 to an object with those keys, as in
//     {"a1a1…": {"ProfileAvailability": "Available", "SignatureState":
//     "Unsigned", "GlobalPrevalence": 12}}.
//
// The format is JSON when the first byte that is not white space is '{'.
// A row whose ProfileAvailability is given and is not "Available", or whose
// GlobalPrevalence is empty or null, describes an unknown file and is left
// out. When a hash appears twice, the later row wins. A malformed row fails
// the whole load with a *ParseError naming its line and column.
func OpenFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open profiles: %w", err)
	}
	profiles, err := parse(path, b)
	if err != nil {
		return nil, err
	}
	return &File{profiles: profiles}, nil
}

// parse reads profiles in any of the formats OpenFile accepts. name is used
// in errors.
func parse(name string, b []byte) (map[string]Profile, error) {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSON(name, b)
	}
	return parseCSV(name, b)
}

// NewStatic returns a File that knows the given profiles, keyed by SHA1 in
// any case. Each profile is stored with its SHA1 set to the lower-cased key,
// Known set, and Source "file" unless it names another.
func NewStatic(profiles map[string]Profile) *File {
	m := make(map[string]Profile, len(profiles))
	for sha1, p := range profiles {
		sha1 = strings.ToLower(sha1)
		p.SHA1, p.Known = sha1, true
		if p.Source == "" {
			p.Source = NameFile
		}
		m[sha1] = p
	}
	return &File{profiles: m}
}

// Name returns "file".
func (f *File) Name() string { return NameFile }

// Len returns the number of files the provider knows.
func (f *File) Len() int { return len(f.profiles) }

// Lookup returns the profiles of the hashes the file knows, matching hashes
// in any case and keying the answer by the hash as given. It never fails.
func (f *File) Lookup(_ context.Context, sha1s []string) (map[string]Profile, error) {
	out := make(map[string]Profile, len(sha1s))
	for _, h := range sha1s {
		if p, ok := f.profiles[strings.ToLower(h)]; ok {
			out[h] = p
		}
	}
	return out, nil
}
