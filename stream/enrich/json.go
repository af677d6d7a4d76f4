package enrich

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/segmentio/encoding/json"
)

// parseJSON reads JSON lines of FileProfile rows, or one object mapping each
// SHA1 to its columns. It is JSON lines when the first line is an object with
// a SHA1 key.
func parseJSON(name string, b []byte) (map[string]Profile, error) {
	first, _, _ := bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
	var probe map[string]json.RawMessage
	if json.Unmarshal(first, &probe) == nil {
		for k := range probe {
			if column(k) == ColSHA1 {
				return parseJSONLines(name, b)
			}
		}
	}
	return parseJSONMap(name, b)
}

// parseJSONLines reads one row object per line; blank lines are skipped.
func parseJSONLines(name string, b []byte) (map[string]Profile, error) {
	profiles := make(map[string]Profile)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			return nil, &ParseError{File: name, Line: line, Err: fmt.Errorf("%w: %w", ErrBadValue, err)}
		}
		rw, err := jsonRow(name, line, obj)
		if err != nil {
			return nil, err
		}
		p, ok, err := rw.profile(name, line)
		if err != nil {
			return nil, err
		}
		if ok {
			profiles[p.SHA1] = p
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return profiles, nil
}

// parseJSONMap reads one object whose keys are SHA1s and whose values are
// objects of columns. A SHA1 column inside an entry, if any, must match its
// key.
func parseJSONMap(name string, b []byte) (map[string]Profile, error) {
	var entries map[string]json.RawMessage
	keys, lastLine := scanLines(b)
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, &ParseError{File: name, Line: lastLine, Err: fmt.Errorf("%w: %w", ErrBadValue, err)}
	}

	// Walk the entries in file order, so that the first bad one is reported.
	profiles := make(map[string]Profile, len(entries))
	for _, k := range keys {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(entries[k.key], &obj); err != nil || obj == nil {
			if column(k.key) != "" {
				// A row object without its SHA1, not a map of hashes.
				return nil, &ParseError{File: name, Line: k.line, Column: ColSHA1, Err: ErrMissingColumn}
			}
			return nil, &ParseError{File: name, Line: k.line,
				Err: fmt.Errorf("%w: entry %q: want an object of profile columns", ErrBadValue, k.key)}
		}
		rw, err := jsonRow(name, k.line, obj)
		if err != nil {
			return nil, err
		}
		if f, ok := rw[ColSHA1]; ok && f.kind == kindText && !equalHash(f.text, k.key) {
			return nil, &ParseError{File: name, Line: k.line, Column: ColSHA1,
				Err: fmt.Errorf("%w: %q differs from its key", ErrBadValue, f.text)}
		}
		rw[ColSHA1] = field{text: k.key, line: k.line}
		p, ok, err := rw.profile(name, k.line)
		if err != nil {
			return nil, err
		}
		if ok {
			profiles[p.SHA1] = p
		}
	}
	return profiles, nil
}

// jsonRow turns the members of a row object into a row.
func jsonRow(name string, line int, obj map[string]json.RawMessage) (row, error) {
	rw := make(row, len(columns))
	for k, v := range obj {
		c := column(k)
		if c == "" {
			continue
		}
		if _, dup := rw[c]; dup {
			return nil, &ParseError{File: name, Line: line, Column: c,
				Err: fmt.Errorf("%w: column named twice", ErrBadValue)}
		}
		f := field{line: line}
		switch {
		case len(v) == 0:
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, &ParseError{File: name, Line: line, Column: c,
					Err: fmt.Errorf("%w: %w", ErrBadValue, err)}
			}
			f.text = s
		case v[0] == 'n':
			f.kind = kindNull
		case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
			f.kind, f.text = kindNumber, string(v)
		default:
			f.kind, f.text = kindOther, string(v)
		}
		rw[c] = f
	}
	return rw, nil
}

// keyLine is a key of the top-level object and the line it is on.
type keyLine struct {
	key  string
	line int
}

// scanLines tokenizes b and returns the keys of its top-level object in
// order, each with its line, and the line of the last token read: for input
// that is not valid JSON, about where the fault is.
func scanLines(b []byte) (keys []keyLine, lastLine int) {
	var (
		seen = make(map[string]bool)
		line = 1
		last = 0
	)
	// at returns the line of the current token.
	at := func(t *json.Tokenizer) int {
		start := len(b) - t.Remaining() - len(t.Value)
		if start >= last {
			line += bytes.Count(b[last:start], []byte("\n"))
			last = start
		}
		return line
	}
	t := json.NewTokenizer(b)
	for t.Next() {
		lastLine = at(t)
		if !t.IsKey || t.Depth != 1 {
			continue
		}
		if k := string(t.String()); !seen[k] {
			seen[k] = true
			keys = append(keys, keyLine{key: k, line: lastLine})
		}
	}
	if t.Err != nil && len(t.Value) > 0 {
		lastLine = at(t)
	}
	return keys, max(lastLine, 1)
}

// equalHash reports whether a and b are the same hash, ignoring case and
// surrounding space.
func equalHash(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
