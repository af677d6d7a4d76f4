package mde

import (
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"
)

// ErrNotMessage is returned by Decode for a message that is valid JSON but
// neither an envelope {"records":[...]} nor a single record.
var ErrNotMessage = errors.New("neither an envelope with records nor a record")

// parseFlags decode without copying strings that need no unescaping, and
// match keys exactly.
const parseFlags = json.ZeroCopy | json.DontMatchCaseInsensitiveStructFields

// MessageError is a message that cannot be decoded at all.
type MessageError struct {
	Err error
}

func (e *MessageError) Error() string { return "undecodable message: " + e.Err.Error() }
func (e *MessageError) Unwrap() error { return e.Err }

// RecordError is one record of a message that cannot be decoded; the other
// records of the message are unaffected.
type RecordError struct {
	Index int    // position in the envelope
	Raw   []byte // the record's own bytes
	Err   error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d: %v", e.Index, e.Err)
}
func (e *RecordError) Unwrap() error { return e.Err }

// Decoder splits messages into records. It reuses its buffers between
// messages, so it is not safe for concurrent use: each worker owns one.
type Decoder struct {
	env struct {
		Records  []json.RawMessage `json:"records"`
		Category json.RawMessage   `json:"category"`
	}
	rec   wireRecord
	out   Record
	raws  [][]byte     // the records of an envelope, as scanned
	wires []wireRecord // their fields, decoded before any is handed out
}

// Decode calls fn for each record of msg, in order. A message that is not
// JSON, or not of the shape of a streaming-API message, or whose objects
// and arrays nest more than maxFallbackDepth deep, returns a *MessageError
// before fn is called. A record that cannot be decoded is passed to bad and
// skipped; the records around it still reach fn.
//
// The *Record passed to fn is reused for the next record and points into msg.
func (d *Decoder) Decode(msg []byte, fn func(*Record), bad func(*RecordError)) error {
	// The usual message takes one pass (scan.go), which decodes it
	// completely before any record reaches fn. Any other goes the general
	// way, which the fast one agrees with whenever it accepts.
	if d.scanEnvelope(msg) {
		for i, raw := range d.raws {
			d.emit(i, raw, &d.wires[i], fn)
		}
		return nil
	}
	if nestsDeeper(msg, maxFallbackDepth) {
		return &MessageError{Err: ErrTooDeep}
	}
	return d.decodeAny(msg, fn, bad)
}

// maxFallbackDepth bounds the nesting of the messages Decode hands to
// decodeAny. segmentio/encoding recurses once a level with no bound of its
// own: 2 MB of '[' overflow the goroutine stack's 1 GB, which is fatal to
// the process, not a panic that could be recovered. Streaming-API records
// nest a few levels deep.
const maxFallbackDepth = 1000

// ErrTooDeep is the error of a message whose objects and arrays nest more
// than Decode reads.
var ErrTooDeep = fmt.Errorf("objects and arrays nest more than %d deep", maxFallbackDepth)

// nestsDeeper tells whether more than limit objects and arrays are open at
// some point of msg, brackets inside strings aside. It counts brackets
// without matching them, and never below zero: up to the first byte where
// segmentio would stop, the count is its recursion depth, and after it the
// count does not matter.
func nestsDeeper(msg []byte, limit int) bool {
	depth := 0
	inString := false
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case inString && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return true
			}
		case (c == '}' || c == ']') && depth > 0:
			depth--
		}
	}
	return false
}

// decodeAny decodes any message, with the outcomes Decode documents: the
// envelope is parsed whole, then each record again on its own bytes.
func (d *Decoder) decodeAny(msg []byte, fn func(*Record), bad func(*RecordError)) error {
	d.env.Records = d.env.Records[:0]
	d.env.Category = nil
	rest, err := json.Parse(msg, &d.env, parseFlags)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d bytes after the top-level value", len(rest))
	}
	if err != nil {
		return &MessageError{Err: err}
	}

	// A message is an envelope, or a single record sent as is.
	switch {
	case len(d.env.Records) > 0:
		for i, raw := range d.env.Records {
			d.record(i, raw, fn, bad)
		}
	case d.env.Category != nil:
		d.record(0, msg, fn, bad)
	case !hasRecordsKey(msg):
		return &MessageError{Err: ErrNotMessage}
	}
	return nil
}

func (d *Decoder) record(i int, raw []byte, fn func(*Record), bad func(*RecordError)) {
	d.rec = wireRecord{}
	if _, err := json.Parse(raw, &d.rec, parseFlags); err != nil {
		bad(&RecordError{Index: i, Raw: raw, Err: err})
		return
	}
	d.emit(i, raw, &d.rec, fn)
}

// emit hands the record decoded into w to fn.
func (d *Decoder) emit(i int, raw []byte, w *wireRecord, fn func(*Record)) {
	p := &w.Properties
	d.out = Record{
		Category:    categoryOf(unquote(w.Category)),
		Index:       i,
		TenantID:    w.TenantID,
		Raw:         raw,
		Timestamp:   p.Timestamp,
		DeviceID:    p.DeviceID,
		ReportID:    p.ReportID,
		AccountName: p.AccountName,
		AccountSID:  p.AccountSID,
		RemoteIP:    p.RemoteIP,
		ProcessSHA1: p.ProcessSHA1,
		SHA1:        p.SHA1,
		props:       *p,
	}
	fn(&d.out)
}

// hasRecordsKey tells an empty envelope {"records":[]} from an object
// without the key.
func hasRecordsKey(msg []byte) bool {
	var probe struct {
		Records *json.RawMessage `json:"records"`
	}
	_, err := json.Parse(msg, &probe, parseFlags)
	return err == nil && probe.Records != nil
}

// unquote strips the quotes of a JSON string without unescaping; category
// names never hold escapes.
func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return nil
}
