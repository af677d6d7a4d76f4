package sinks

import (
	"fmt"

	"github.com/segmentio/encoding/json"
)

// jsonFlags leaves <, > and & unescaped, so that URLs and paths read the same
// in a SIEM as in Defender, and sorts map keys so that output is stable.
// Strings are always written as valid UTF-8: an invalid byte becomes U+FFFD.
const jsonFlags = json.SortMapKeys

// AppendJSON appends the alert's JSON document, without a trailing newline,
// to dst and returns the extended buffer: FormFlarewatch, the form a sink
// writes unless it is given another.
func (a *Alert) AppendJSON(dst []byte) ([]byte, error) {
	b, err := json.Append(dst, a, jsonFlags)
	if err != nil {
		return dst, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return b, nil
}

// appendJSON appends the JSON form of v to dst.
func appendJSON(dst []byte, v any) ([]byte, error) {
	return json.Append(dst, v, jsonFlags)
}
