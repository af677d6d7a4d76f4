package ranges

import (
	"errors"
	"fmt"
)

// ErrRejected matches (errors.Is) every *RejectError.
var ErrRejected = errors.New("range list rejected")

// The reasons an answer is rejected: RejectError.Reason, and the "reason"
// attribute of flarewatch.ranges.rejected.
const (
	ReasonStatus       = "http_status"   // neither 200 nor 304
	ReasonTooLarge     = "too_large"     // body over 1 MiB
	ReasonNotJSON      = "not_json"      // HTML from a proxy, a truncated body
	ReasonAPIError     = "api_error"     // "success" missing or false
	ReasonEmpty        = "empty"         // no prefix at all
	ReasonInvalidRange = "invalid_range" // an entry that is not a CIDR prefix
)

// RejectError reports an answer that was received but not applied. The
// last good list stays in force.
type RejectError struct {
	Reason string // one of the Reason constants
	Err    error  // what was wrong, possibly a *config.RangeError
}

func reject(reason string, err error) *RejectError {
	return &RejectError{Reason: reason, Err: err}
}

// Error names the reason and the cause.
func (e *RejectError) Error() string {
	return fmt.Sprintf("range list rejected (%s): %v", e.Reason, e.Err)
}

// Unwrap returns the cause.
func (e *RejectError) Unwrap() error { return e.Err }

// Is reports whether target is ErrRejected.
func (e *RejectError) Is(target error) bool { return target == ErrRejected }
