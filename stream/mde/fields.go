package mde

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"github.com/segmentio/encoding/json"
)

// Errors about a record's fields.
var (
	ErrNoTimestamp  = errors.New("Timestamp missing or null")
	ErrBadTimestamp = errors.New("Timestamp is not an ISO 8601 UTC time")
)

// Time parses the record's event time, properties.Timestamp: ISO 8601 with 0
// to 7 fractional digits, kept to the 100 ns. The envelope's own time is only
// the export time and is never used.
func (r *Record) Time() (time.Time, error) {
	b := r.Timestamp
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return time.Time{}, ErrNoTimestamp
	}
	s := unquote(b)
	if s == nil || bytes.IndexByte(s, '\\') >= 0 {
		return time.Time{}, ErrBadTimestamp
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return time.Time{}, ErrBadTimestamp
	}
	return t.UTC(), nil
}

// ReportIDString returns ReportId as text, whether it came as a number or a
// numeric string.
func (r *Record) ReportIDString() string {
	if s := unquote(r.ReportID); s != nil {
		return string(s)
	}
	return string(r.ReportID)
}

// EventID returns the identity of an event as a 16-hex-digit hash of
// (category, DeviceId, Timestamp, ReportId). ReportId alone repeats across
// devices and over time; the four together name one event, however many
// times the source delivers it.
func EventID(c Category, deviceID string, ts time.Time, reportID string) string {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(c.String())
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(deviceID)
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(strconv.FormatInt(ts.UnixNano(), 10))
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(reportID)
	return strconv.FormatUint(d.Sum64()|1<<63, 16)
}

// Detail is what an alert needs from a candidate record, copied out of the
// message and made valid UTF-8.
type Detail struct {
	DeviceID      string
	DeviceName    string
	FolderPath    string
	FileName      string
	SHA256        string
	RemoteIP      string
	RemotePort    int
	RemoteURL     string
	AccountName   string
	AccountDomain string
	AccountSID    string
}

// Detail decodes the fields only an alert needs. A field of the wrong type
// reads as empty: it never makes a candidate fail.
func (r *Record) Detail() Detail {
	p := &r.props
	return Detail{
		DeviceID:      clean(r.DeviceID),
		DeviceName:    rawString(p.DeviceName),
		FolderPath:    rawString(p.FolderPath),
		FileName:      rawString(p.FileName),
		SHA256:        strings.ToLower(rawString(p.ProcessSHA2)),
		RemoteIP:      clean(r.RemoteIP),
		RemotePort:    rawInt(p.RemotePort),
		RemoteURL:     rawString(p.RemoteURL),
		AccountName:   clean(r.AccountName),
		AccountDomain: rawString(p.AccountDom),
		AccountSID:    clean(r.AccountSID),
	}
}

// rawString decodes a JSON string into a fresh Go string, with invalid UTF-8
// and lone surrogates replaced by U+FFFD. null, absent or non-string is "".
func rawString(b json.RawMessage) string {
	if len(b) == 0 || b[0] != '"' {
		return ""
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return ""
	}
	return clean(s)
}

func rawInt(b json.RawMessage) int {
	if s := unquote(b); s != nil {
		b = s
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return 0
	}
	return n
}

// clean copies s out of the message buffer, replacing invalid UTF-8.
func clean(s string) string {
	if utf8.ValidString(s) {
		return strings.Clone(s)
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
