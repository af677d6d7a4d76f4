package mde

import (
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

type decoded struct {
	records []Record
	details []Detail
	bad     []*RecordError
}

func decodeAll(t *testing.T, msg []byte) (decoded, error) {
	t.Helper()
	var d Decoder
	var out decoded
	err := d.Decode(msg, func(r *Record) {
		out.records = append(out.records, *r)
		out.details = append(out.details, r.Detail())
	}, func(e *RecordError) { out.bad = append(out.bad, e) })
	return out, err
}

func TestDecodeSyntheticMessage(t *testing.T) {
	msg, err := os.ReadFile("../testdata/synthetic-eventhub-message.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeAll(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.records) != 12 || len(got.bad) != 0 {
		t.Fatalf("records = %d, bad = %d; want 12, 0", len(got.records), len(got.bad))
	}
	cats := map[Category]int{}
	for _, r := range got.records {
		cats[r.Category]++
	}
	if cats[NetworkEvents] != 9 || cats[CertificateInfo] != 2 || cats[Other] != 1 {
		t.Errorf("categories = %v", cats)
	}
	r0 := got.records[0]
	if r0.RemoteIP != "::ffff:104.21.48.1" || r0.AccountSID != "S-1-5-18" ||
		r0.ProcessSHA1 != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" {
		t.Errorf("record 0 = %+v", r0)
	}
	if got.details[0].FolderPath != `c:\programdata\updater\updater.exe` {
		t.Errorf("folder path = %q", got.details[0].FolderPath)
	}
	if got.records[9].SHA1 != "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2" {
		t.Errorf("certificate SHA1 = %q", got.records[9].SHA1)
	}
	ts, err := got.records[0].Time()
	want := time.Date(2025, 1, 15, 8, 0, 5, 123456700, time.UTC)
	if err != nil || !ts.Equal(want) {
		t.Errorf("Time() = %v, %v; want %v", ts, err, want)
	}
}

func TestDecodeMessageShapes(t *testing.T) {
	rec := `{"category":"AdvancedHunting-DeviceNetworkEvents","properties":{"RemoteIP":"1.2.3.4"}}`
	tests := []struct {
		name    string
		msg     string
		records int
		bad     int
		err     bool
	}{
		{"envelope", `{"records":[` + rec + `,` + rec + `]}`, 2, 0, false},
		{"single record", rec, 1, 0, false},
		{"empty envelope", `{"records":[]}`, 0, 0, false},
		{"truncated", `{"records":[{"category":"x","properties":{"RemoteIP":"1"`, 0, 0, true},
		{"records not an array", `{"records":{"category":"x"}}`, 0, 0, true},
		{"no records, no category", `{"foo":1}`, 0, 0, true},
		{"not an object", `[1,2]`, 0, 0, true},
		{"trailing bytes", rec + `}`, 0, 0, true},
		{"record not an object", `{"records":[1,` + rec + `]}`, 1, 1, false},
		{"properties wrong type", `{"records":[{"category":"x","properties":[]},` + rec + `]}`, 1, 1, false},
		{"RemoteIP wrong type", `{"records":[{"category":"x","properties":{"RemoteIP":7}}]}`, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, []byte(tt.msg))
			var me *MessageError
			if tt.err != (err != nil) || (err != nil && !errors.As(err, &me)) {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if len(got.records) != tt.records || len(got.bad) != tt.bad {
				t.Errorf("records = %d, bad = %d; want %d, %d",
					len(got.records), len(got.bad), tt.records, tt.bad)
			}
		})
	}
}

func TestDecodeExactCaseKeys(t *testing.T) {
	msg := `{"category":"AdvancedHunting-DeviceNetworkEvents","properties":` +
		`{"RemoteIP":"104.16.5.7","remoteip":"10.0.0.1","initiatingprocesssha1":"x"}}`
	got, err := decodeAll(t, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.records[0]; r.RemoteIP != "104.16.5.7" || r.ProcessSHA1 != "" {
		t.Errorf("RemoteIP = %q, SHA1 = %q", r.RemoteIP, r.ProcessSHA1)
	}
}

func TestTimestampForms(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Time
		err  error
	}{
		{`"2024-05-01T10:00:01Z"`, time.Date(2024, 5, 1, 10, 0, 1, 0, time.UTC), nil},
		{`"2024-05-01T10:00:01.12Z"`, time.Date(2024, 5, 1, 10, 0, 1, 120000000, time.UTC), nil},
		{`"2024-05-01T10:00:01.123456Z"`, time.Date(2024, 5, 1, 10, 0, 1, 123456000, time.UTC), nil},
		{`"2024-05-01T18:59:59.9999999Z"`, time.Date(2024, 5, 1, 18, 59, 59, 999999900, time.UTC), nil},
		{`null`, time.Time{}, ErrNoTimestamp},
		{``, time.Time{}, ErrNoTimestamp},
		{`"05/12/2024 6:41:32 PM"`, time.Time{}, ErrBadTimestamp},
		{`1714557601`, time.Time{}, ErrBadTimestamp},
	}
	for _, tt := range tests {
		r := Record{Timestamp: json.RawMessage(tt.raw)}
		got, err := r.Time()
		if !errors.Is(err, tt.err) || !got.Equal(tt.want) {
			t.Errorf("Time(%s) = %v, %v; want %v, %v", tt.raw, got, err, tt.want, tt.err)
		}
	}
}

func TestReportIDNumberOrString(t *testing.T) {
	for _, raw := range []string{`26528`, `"26528"`} {
		r := Record{ReportID: json.RawMessage(raw)}
		if got := r.ReportIDString(); got != "26528" {
			t.Errorf("ReportIDString(%s) = %q", raw, got)
		}
	}
}

func TestEventIDIdentity(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 1, 0, time.UTC)
	a := EventID(NetworkEvents, "dev-1", ts, "1001")
	if a != EventID(NetworkEvents, "dev-1", ts, "1001") {
		t.Fatal("EventID is not deterministic")
	}
	for _, other := range []string{
		EventID(NetworkEvents, "dev-2", ts, "1001"),
		EventID(NetworkEvents, "dev-1", ts.Add(100), "1001"),
		EventID(NetworkEvents, "dev-1", ts, "1002"),
		EventID(CertificateInfo, "dev-1", ts, "1001"),
	} {
		if other == a {
			t.Errorf("distinct events share id %s", a)
		}
	}
}

// Case B21: invalid UTF-8 bytes and a lone surrogate in a path decode with
// U+FFFD in place and the record is kept.
func TestInvalidUTF8Replaced(t *testing.T) {
	var c struct {
		MessagesB64 []string `json:"messages_b64"`
		MessagesRaw []string `json:"messages_raw"`
	}
	b, err := os.ReadFile("../testdata/cases/B21.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(c.MessagesB64[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{raw, []byte(c.MessagesRaw[0])} {
		got, err := decodeAll(t, msg)
		if err != nil || len(got.records) != 1 {
			t.Fatalf("decode: %v, %d records", err, len(got.records))
		}
		path := got.details[0].FolderPath
		if !utf8.ValidString(path) || !strings.Contains(path, "\uFFFD") {
			t.Errorf("path %q: want valid UTF-8 with U+FFFD", path)
		}
	}
}
