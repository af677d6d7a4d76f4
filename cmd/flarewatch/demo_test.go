package main

import (
	"bufio"
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/sinks"
)

// The demo over the synthetic message alerts on the hashes of records 0, 1
// and 8, and on no other (testdata/synthetic-eventhub-message.expected.json).
func TestDemoSyntheticMessage(t *testing.T) {
	out := captureStdout(t, func() {
		c := &demoCmd{Input: "../../stream/testdata/synthetic-eventhub-message.ndjson",
			Profile: "default", Partitions: 3, Timeout: defaultDemoTimeout}
		if err := c.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	var hashes []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var a sinks.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("alert line %q: %v", sc.Text(), err)
		}
		hashes = append(hashes, a.SHA1)
	}
	sort.Strings(hashes)
	want := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1 ddddddddddddddddddddddddddddddddddddddd4"
	if got := strings.Join(hashes, " "); got != want {
		t.Errorf("alerts for %s, want %s", got, want)
	}
}

// The demo over its bundled traffic alerts as the README says: 7 creates
// under the default profile, the 3 ordinary planted positives under
// kql-parity, and nothing else.
func TestDemoBundled(t *testing.T) {
	for profile, want := range map[string]int{"default": 7, "kql-parity": 3} {
		out := captureStdout(t, func() {
			c := &demoCmd{Profile: profile, Partitions: 3, Timeout: defaultDemoTimeout}
			if err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		creates := map[string]bool{}
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var a sinks.Alert
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatalf("alert line %q: %v", sc.Text(), err)
			}
			if a.Activity != sinks.ActivityCreate {
				t.Errorf("%s: a %s alert for %s", profile, a.Activity, a.SHA1)
			}
			creates[a.SHA1] = true
		}
		if len(creates) != want {
			t.Errorf("%s: creates for %d hashes, want %d", profile, len(creates), want)
		}
	}
}

// captureStdout runs fn with os.Stdout redirected and returns what it wrote.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		done <- b.String()
	}()
	fn()
	os.Stdout = saved
	w.Close()
	return <-done
}
