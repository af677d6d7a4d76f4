package config

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (errors.Is) by every error that reports a bad
// setting: what Validate returns, and Load's errors about the file's keys
// and values, environment values and secret references.
var ErrInvalid = errors.New("invalid configuration")

// FieldError is one bad setting: the field's YAML path ("kafka.brokers")
// and what is wrong with it, with the fix. Validate and Load return every
// FieldError they find, joined with errors.Join.
type FieldError struct {
	Field   string
	Problem string
	// Err is the cause, when there is one (a file that cannot be read).
	Err error
}

// Error returns "field: problem: cause", leaving out an empty problem or a
// nil cause.
func (e *FieldError) Error() string {
	s := e.Field
	if e.Problem != "" {
		s += ": " + e.Problem
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// problems collects the FieldErrors of one Load or Validate.
type problems []error

// add records a problem for field, formatted like fmt.Sprintf.
func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// wrap records a problem for field with a cause.
func (p *problems) wrap(field, problem string, err error) {
	*p = append(*p, &FieldError{Field: field, Problem: problem, Err: err})
}

// err returns the problems joined, or nil when there are none.
func (p problems) err() error { return errors.Join(p...) }
