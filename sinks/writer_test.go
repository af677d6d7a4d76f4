package sinks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

// readAlerts decodes one alert per line of b.
func readAlerts(t *testing.T, b []byte) []Alert {
	t.Helper()
	var alerts []Alert
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var a Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("line %d: %v: %q", n, err, sc.Bytes())
		}
		alerts = append(alerts, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return alerts
}

func TestWriterSinkConcurrent(t *testing.T) {
	const workers, batches, perBatch = 8, 50, 3
	var out bytes.Buffer // guarded by the sink's mutex only
	s := NewWriterSink(&out)

	var wg sync.WaitGroup
	errs := make(chan error, workers*batches)
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				batch := make([]Alert, perBatch)
				for i := range batch {
					batch[i] = sampleAlert()
					batch[i].Count = int64(w*1_000_000 + b*1_000 + i)
				}
				errs <- s.Publish(context.Background(), batch)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
	}

	// Every alert is on its own whole line, and a batch stays together.
	alerts := readAlerts(t, out.Bytes())
	if len(alerts) != workers*batches*perBatch {
		t.Fatalf("got %d alerts, want %d", len(alerts), workers*batches*perBatch)
	}
	for i := 0; i < len(alerts); i += perBatch {
		for j := 1; j < perBatch; j++ {
			if alerts[i+j].Count != alerts[i].Count+int64(j) {
				t.Fatalf("batch split at line %d: counts %d then %d", i+j+1, alerts[i].Count, alerts[i+j].Count)
			}
		}
	}
}

func TestWriterSinkValidUTF8(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"valid", "updater.exe", "updater.exe"},
		{"lone continuation byte", "up\x80dater.exe", "up\uFFFDdater.exe"},
		{"truncated sequence", "c:\\temp\\\xc3", "c:\\temp\\\uFFFD"},
		{"invalid lead byte", "\xffsvc.exe", "\uFFFDsvc.exe"},
		{"html characters kept", "a<b>&c", "a<b>&c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			a := sampleAlert()
			a.Folders = []string{tt.in}
			if err := NewWriterSink(&out).Publish(context.Background(), []Alert{a}); err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(out.Bytes()) {
				t.Fatalf("output is not valid UTF-8: %q", out.Bytes())
			}
			if got := readAlerts(t, out.Bytes())[0].Folders[0]; got != tt.want {
				t.Errorf("folder %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFileSinkAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	ctx := context.Background()
	for round := range 2 {
		s, err := OpenFileSink(path)
		if err != nil {
			t.Fatal(err)
		}
		a := sampleAlert()
		a.Count = int64(round)
		if err := s.Publish(ctx, []Alert{a}); err != nil {
			t.Fatalf("round %d: publish: %v", round, err)
		}
		if err := s.Close(ctx); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		if err := s.Close(ctx); err != nil {
			t.Errorf("round %d: second close: %v", round, err)
		}
		if err := s.Publish(ctx, []Alert{a}); !errors.Is(err, ErrClosed) {
			t.Errorf("round %d: publish after close: %v, want ErrClosed", round, err)
		}
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	alerts := readAlerts(t, b)
	if len(alerts) != 2 || alerts[0].Count != 0 || alerts[1].Count != 1 {
		t.Errorf("file holds %d alerts, want the two rounds in order:\n%s", len(alerts), b)
	}
}

// tearingWriter writes half of what it is given, then fails, once.
type tearingWriter struct {
	bytes.Buffer
	tore bool
}

func (w *tearingWriter) Write(p []byte) (int, error) {
	if !w.tore {
		w.tore = true
		n, _ := w.Buffer.Write(p[:len(p)/2])
		return n, errors.New("disk full")
	}
	return w.Buffer.Write(p)
}

// TestWriterSinkTornWrite checks that a failed write leaves the next batch on
// lines of its own.
func TestWriterSinkTornWrite(t *testing.T) {
	var w tearingWriter
	s := NewWriterSink(&w)
	batch := []Alert{sampleAlert()}
	if err := s.Publish(context.Background(), batch); err == nil {
		t.Fatal("publish to a failing writer succeeded")
	}
	if err := s.Publish(context.Background(), batch); err != nil {
		t.Fatalf("retry: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want a torn one and a whole one", len(lines))
	}
	readAlerts(t, []byte(lines[1]))
}
