package mde

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary bytes to the decoder. It must never panic;
// a message it accepts must be valid JSON; every record it hands out must
// lie inside the message, and every record it rejects must too; the
// fields an alert copies out must be valid UTF-8.
func FuzzDecode(f *testing.F) {
	for _, path := range []string{"../testdata/synthetic-eventhub-message.ndjson",
		"../testdata/live-records-redacted.ndjson"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if len(line) > 0 {
				f.Add(line)
			}
		}
	}
	f.Add([]byte(`{"records":[]}`))
	f.Add([]byte(`{"records":{"category":"x"}}`))
	f.Add([]byte(`{"records":[{"category":"AdvancedHunting-DeviceNetworkEvents","properties":{"RemoteIP":"1.2.3.4"`))

	var d Decoder
	f.Fuzz(func(t *testing.T, msg []byte) {
		var records, rejected int
		err := d.Decode(msg, func(r *Record) {
			records++
			if !bytes.Contains(msg, r.Raw) {
				t.Fatalf("record %d is not part of the message", r.Index)
			}
			_, _ = r.Time()
			_ = r.ReportIDString()
			det := r.Detail()
			for _, s := range []string{det.DeviceName, det.FolderPath, det.FileName, det.DeviceID} {
				if !utf8.ValidString(s) {
					t.Fatalf("detail field %q is not valid UTF-8", s)
				}
			}
		}, func(e *RecordError) {
			rejected++
			if !bytes.Contains(msg, e.Raw) {
				t.Fatalf("rejected record %d is not part of the message", e.Index)
			}
		})
		if err == nil && !json.Valid(msg) {
			t.Fatalf("accepted a message that is not JSON: %q", msg)
		}
		if err != nil && (records > 0 || rejected > 0) {
			t.Fatalf("a rejected message handed out %d records and %d rejects", records, rejected)
		}
	})
}
