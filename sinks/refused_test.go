package sinks

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFileDeadLetterAlerts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "refused.jsonl")
	d, err := OpenFileDeadLetterAlerts(path)
	if err != nil {
		t.Fatal(err)
	}
	d.now = func() time.Time { return time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC) }
	alerts := alertBatch(2)
	cause := &StatusError{Sink: "webhook", Status: 400, Detail: "bad"}
	if err := d.write(context.Background(), "webhook", cause, alerts); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.write(context.Background(), "webhook", cause, alerts); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(b)
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		// Each line's alert is the flarewatch document, ready to replay.
		var r struct {
			Alert stdjson.RawMessage `json:"alert"`
		}
		if err := stdjson.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		if err := ValidateAlert(r.Alert); err != nil {
			t.Errorf("line %d: %v", i, err)
		}
	}
}
