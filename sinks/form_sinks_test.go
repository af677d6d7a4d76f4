package sinks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The Kafka sink in the OCSF form produces the Detection Finding as the
// value and keeps the SHA1 key and the routing headers.
func TestKafkaSinkOCSF(t *testing.T) {
	const topic = "fw.alerts.ocsf"
	c, cl := newCluster(t, topic)
	s, err := NewKafkaSinkForm(cl, topic, FormOCSF)
	if err != nil {
		t.Fatal(err)
	}
	if s.Form() != FormOCSF {
		t.Errorf("Form() = %q, want %q", s.Form(), FormOCSF)
	}
	a := sampleAlert()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Publish(ctx, []Alert{a}); err != nil {
		t.Fatalf("publish: %v", err)
	}

	r := consume(t, c, topic, 1)[0]
	if string(r.Key) != a.SHA1 {
		t.Errorf("key %q, want %q", r.Key, a.SHA1)
	}
	for key, value := range map[string]string{
		HeaderSchemaVersion: SchemaVersion,
		HeaderActivity:      string(a.Activity),
		HeaderAlertID:       a.ID,
		HeaderTenantID:      a.TenantID,
	} {
		if got, ok := header(r, key); !ok || got != value {
			t.Errorf("header %s = %q (present %v), want %q", key, got, ok, value)
		}
	}
	want, err := Encode(&a, FormOCSF)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Value, want) {
		t.Errorf("value\n%s\nwant the OCSF document\n%s", r.Value, want)
	}
	if err := ValidateOCSF(r.Value); err != nil {
		t.Errorf("value does not validate as OCSF: %v", err)
	}
}

// The writer and file sinks write one document a line in their form.
func TestWriterSinkForms(t *testing.T) {
	a := sampleAlert()
	for _, form := range []Form{"", FormFlarewatch, FormOCSF} {
		t.Run(string(form)+"-writer", func(t *testing.T) {
			var out bytes.Buffer
			s, err := NewWriterSinkForm(&out, form)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(context.Background(), []Alert{a, a}); err != nil {
				t.Fatal(err)
			}
			checkLines(t, out.Bytes(), &a, form, 2)
		})
		t.Run(string(form)+"-file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alerts.jsonl")
			s, err := OpenFileSinkForm(path, form)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(context.Background(), []Alert{a}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, b, &a, form, 1)
		})
	}
}

// checkLines checks that b is n lines, each the document of a in form.
func checkLines(t *testing.T, b []byte, a *Alert, form Form, n int) {
	t.Helper()
	want, err := Encode(a, form)
	if err != nil {
		t.Fatal(err)
	}
	validate := ValidateAlert
	if form == FormOCSF {
		validate = ValidateOCSF
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	got := 0
	for sc.Scan() {
		got++
		if !bytes.Equal(sc.Bytes(), want) {
			t.Errorf("line %d:\n%s\nwant\n%s", got, sc.Bytes(), want)
		}
		if err := validate(sc.Bytes()); err != nil {
			t.Errorf("line %d does not validate: %v", got, err)
		}
	}
	if got != n {
		t.Errorf("%d lines, want %d", got, n)
	}
}

// An unknown form is refused when the sink is made, before a file is
// created.
func TestSinkFormUnknown(t *testing.T) {
	_, cl := newCluster(t)
	if _, err := NewKafkaSinkForm(cl, "t", "cef"); err == nil {
		t.Error("NewKafkaSinkForm accepted form cef")
	}
	if _, err := NewWriterSinkForm(&bytes.Buffer{}, "cef"); err == nil {
		t.Error("NewWriterSinkForm accepted form cef")
	}
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	if _, err := OpenFileSinkForm(path, "cef"); err == nil {
		t.Error("OpenFileSinkForm accepted form cef")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenFileSinkForm with a bad form left %s (stat: %v)", path, err)
	}
}
