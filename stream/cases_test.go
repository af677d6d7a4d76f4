package stream_test

import (
	"path/filepath"
	"sort"
	"testing"
	"unicode/utf8"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/internal/faultcase"
	"github.com/flarewatch/flarewatch/stream/rule"
)

func loadCase(t *testing.T, name string) faultcase.Case {
	t.Helper()
	c, err := faultcase.Load(filepath.Join("testdata", "cases"), name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caseValues(t *testing.T, c faultcase.Case) [][]byte {
	t.Helper()
	v, err := c.Values()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// want is an expected alert: Count and Devices of a create.
type want struct {
	count   int64
	devices int
}

const (
	hashX = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	hashY = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	hashZ = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
)

// TestFaultCases runs every case made of plain messages through the
// pipeline on the test's Kafka and Redis, and checks the exact alerts and
// dead letters. Cases with a scenario of their own have tests of their own.
func TestFaultCases(t *testing.T) {
	tests := []struct {
		name    string
		profile rule.Profile
		alerts  map[string]want
		dead    []int64 // offsets of dead letters
	}{
		{"B02", rule.KQLParity, map[string]want{}, nil},
		{"B02", rule.Default, map[string]want{hashX: {1, 1}}, nil},
		{"B06", rule.Default, map[string]want{hashX: {2, 1}}, nil},
		{"B08", rule.Default, map[string]want{}, nil},
		{"B08", rule.KQLParity, map[string]want{}, nil},
		{"B10", rule.Default, map[string]want{hashX: {2, 1}}, nil},
		{"B11", rule.Default, map[string]want{hashX: {5, 1}}, []int64{0, 0}},
		{"B16", rule.Default, map[string]want{hashX: {2, 1}}, []int64{1, 2}},
		{"B18", rule.Default, map[string]want{hashX: {1, 1}, hashZ: {1, 1}}, nil},
		{"B21", rule.Default, map[string]want{hashX: {2, 1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+string(tt.profile), func(t *testing.T) {
			c := loadCase(t, tt.name)
			h := newHarness(t, 1)
			h.profile = tt.profile
			h.provider = c.Provider()
			h.produce(0, caseValues(t, c)...)
			h.run()
			checkAlerts(t, h.alerts(), tt.alerts)
			checkDead(t, h, tt.dead)
		})
	}
}

func checkAlerts(t *testing.T, alerts []sinks.Alert, want map[string]want) {
	t.Helper()
	got := creates(t, alerts)
	for h, w := range want {
		a, ok := got[h]
		if !ok {
			t.Errorf("no alert for %s", h)
			continue
		}
		if a.Count != w.count || a.Devices != w.devices {
			t.Errorf("%s: Count %d, Devices %d; want %d, %d", h, a.Count, a.Devices, w.count, w.devices)
		}
		for _, p := range a.Folders {
			if !utf8.ValidString(p) {
				t.Errorf("%s: folder path %q is not valid UTF-8", h, p)
			}
		}
	}
	for h := range got {
		if _, ok := want[h]; !ok {
			t.Errorf("unexpected alert for %s", h)
		}
	}
}

func checkDead(t *testing.T, h *harness, want []int64) {
	t.Helper()
	var got []int64
	for _, r := range h.readAll(h.deadTopic) {
		var off int64
		for _, hd := range r.Headers {
			if hd.Key == "fw_source_offset" {
				off = atoi(string(hd.Value))
			}
		}
		got = append(got, off)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if fmtInts(got) != fmtInts(want) {
		t.Errorf("dead letters at offsets %v, want %v", got, want)
	}
}
