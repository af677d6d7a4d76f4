package enrich

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The FileProfile columns a profile file may hold. Header and key matching
// ignores case.
const (
	ColSHA1                = "SHA1"
	ColSHA256              = "SHA256"
	ColSignatureState      = "SignatureState"
	ColGlobalPrevalence    = "GlobalPrevalence"
	ColProfileAvailability = "ProfileAvailability"
)

// columns lists the columns read; all others are ignored.
var columns = []string{
	ColSHA1, ColSHA256, ColSignatureState, ColGlobalPrevalence, ColProfileAvailability,
}

// column returns the canonical name of a header or key, or "" when it is not
// a column the provider reads.
func column(name string) string {
	name = strings.TrimSpace(name)
	for _, c := range columns {
		if strings.EqualFold(name, c) {
			return c
		}
	}
	return ""
}

// Errors a ParseError wraps, for callers and tests that branch on the kind.
var (
	ErrMissingColumn = errors.New("missing column")
	ErrBadValue      = errors.New("bad value")
)

// ParseError is a malformed row, header or document in a profile file.
type ParseError struct {
	File   string // the file's path
	Line   int    // 1-based line of the row, or of the value when known
	Column string // the column at fault, or "" for the row as a whole
	Err    error
}

// Error returns "file:line: column: cause".
func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// fieldKind is the JSON kind of a field's value; CSV fields are all text.
type fieldKind uint8

const (
	kindText fieldKind = iota
	kindNumber
	kindNull
	kindOther // true, false, an object or an array
)

// field is one cell of a row.
type field struct {
	text string
	kind fieldKind
	line int
}

// row is one profile row, by canonical column name.
type row map[string]field

// profile checks the row and returns its profile, or ok false when the row
// describes an unknown file. line is the row's line, used when the fault is
// a missing column.
func (r row) profile(file string, line int) (p Profile, ok bool, err error) {
	bad := func(col string, at int, format string, args ...any) error {
		return &ParseError{File: file, Line: at, Column: col,
			Err: fmt.Errorf("%w: "+format, append([]any{ErrBadValue}, args...)...)}
	}

	// Strings first: SHA1 is required and must be a hash.
	for _, c := range []string{ColSHA1, ColSHA256, ColSignatureState, ColProfileAvailability} {
		if f, ok := r[c]; ok && f.kind != kindText && f.kind != kindNull {
			return Profile{}, false, bad(c, f.line, "want a string")
		}
	}
	sha1, ok := r[ColSHA1]
	if !ok {
		return Profile{}, false, &ParseError{File: file, Line: line, Column: ColSHA1,
			Err: ErrMissingColumn}
	}
	p.SHA1 = strings.ToLower(strings.TrimSpace(sha1.text))
	if !isHex(p.SHA1, 40) {
		return Profile{}, false, bad(ColSHA1, sha1.line, "%q is not 40 hex digits", sha1.text)
	}
	if f, ok := r[ColSHA256]; ok {
		p.SHA256 = strings.ToLower(strings.TrimSpace(f.text))
		if p.SHA256 != "" && !isHex(p.SHA256, 64) {
			return Profile{}, false, bad(ColSHA256, f.line, "%q is not 64 hex digits", f.text)
		}
	}
	p.SignatureState = strings.TrimSpace(r[ColSignatureState].text)

	// An unavailable profile or a missing prevalence is an unknown file.
	avail := strings.TrimSpace(r[ColProfileAvailability].text)
	if avail != "" && !strings.EqualFold(strings.ReplaceAll(avail, " ", ""), "Available") {
		return Profile{}, false, nil
	}
	prev := r[ColGlobalPrevalence]
	text := strings.TrimSpace(prev.text)
	switch {
	case prev.kind == kindOther:
		return Profile{}, false, bad(ColGlobalPrevalence, prev.line, "want a number")
	case prev.kind == kindNull || text == "":
		return Profile{}, false, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return Profile{}, false, bad(ColGlobalPrevalence, prev.line, "%q is not a count", prev.text)
	}
	p.GlobalPrevalence, p.Known, p.Source = n, true, NameFile
	return p, true, nil
}

// isHex reports whether s is n lower-case hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
