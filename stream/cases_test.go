package stream_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// faultCase is one of the public fault cases in testdata/cases.
type faultCase struct {
	Messages    []json.RawMessage `json:"messages"`
	MessagesRaw []string          `json:"messages_raw"`
	MessagesB64 []string          `json:"messages_b64"`
	Steps       []step            `json:"steps"`
	Generate    *struct {
		Template json.RawMessage `json:"template_record"`
		Bytes    int             `json:"repeat_records_until_message_bytes"`
	} `json:"generate"`
	Fixtures struct {
		FileProfiles map[string]struct {
			SignatureState   string
			GlobalPrevalence int64
		} `json:"fileProfiles"`
	} `json:"fixtures"`
}

// step is one step of a case's scenario; raw keeps it whole.
type step struct {
	Message    json.RawMessage `json:"message"`
	LoadCIDRs  []string        `json:"load_cidrs"`
	ReloadCIDR []string        `json:"reload_cidrs"`
	raw        json.RawMessage
}

func (s *step) UnmarshalJSON(b []byte) error {
	type plain step
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = step(p)
	s.raw = append(json.RawMessage(nil), b...)
	return nil
}

// generated builds a case's generated message: the template record
// repeated, with ReportId counting up, until the message reaches the size
// the case asks for. It returns the message and its number of records.
func (c faultCase) generated(t *testing.T) ([]byte, int) {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(c.Generate.Template, &rec); err != nil {
		t.Fatal(err)
	}
	props := rec["properties"].(map[string]any)
	base := int64(props["ReportId"].(float64))
	msg := []byte(`{"records":[`)
	n := 0
	for len(msg) < c.Generate.Bytes {
		props["ReportId"] = base + int64(n)
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			msg = append(msg, ',')
		}
		msg = append(msg, b...)
		n++
	}
	return append(msg, "]}"...), n
}

func loadCase(t *testing.T, name string) faultCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cases", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c faultCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// values returns the case's Kafka message values, in order.
func (c faultCase) values(t *testing.T) [][]byte {
	var out [][]byte
	for _, m := range c.Messages {
		out = append(out, []byte(m))
	}
	for _, m := range c.MessagesRaw {
		out = append(out, []byte(m))
	}
	for _, m := range c.MessagesB64 {
		b, err := base64.StdEncoding.DecodeString(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func (c faultCase) provider() enrich.Provider {
	m := map[string]enrich.Profile{}
	for h, p := range c.Fixtures.FileProfiles {
		m[h] = enrich.Profile{SHA1: h, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "file"}
	}
	return enrich.NewStatic(m)
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
			h.provider = c.provider()
			h.produce(0, c.values(t)...)
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
