package sinks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/segmentio/encoding/json"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestAlertJSONGolden pins the alert document: a change to a field name or
// its encoding shows up as a diff of testdata/alert.golden.json, which is
// also the example in the README. Run with -update to accept a change.
func TestAlertJSONGolden(t *testing.T) {
	a := sampleAlert()
	compact, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	indented.WriteByte('\n')

	golden := filepath.Join("testdata", "alert.golden.json")
	if *update {
		if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(indented.Bytes(), want) {
		t.Errorf("alert JSON differs from %s (run with -update to accept):\ngot:\n%s",
			golden, indented.Bytes())
	}

	// The document must read back into the same alert.
	var back Alert
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	again, err := back.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, compact) {
		t.Errorf("round trip changed the document:\n got %s\nwant %s", again, compact)
	}
}

// TestAlertJSONNullPrevalence checks that an alert without a profile answer
// says so with a null prevalence rather than a zero.
func TestAlertJSONNullPrevalence(t *testing.T) {
	a := sampleAlert()
	a.GlobalPrevalence = nil
	a.ProfileSource = PrevalenceUnknown
	b, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"global_prevalence":null`)) {
		t.Errorf("want a null global_prevalence in %s", b)
	}
}
