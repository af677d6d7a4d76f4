package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// parsed is one record of a dataset, decoded by the standard library: an
// implementation independent of the generator's hand-written JSON.
type parsed struct {
	msg      int // index of its message
	size     int // bytes of the record in its message
	time     string
	tenant   string
	category string
	props    map[string]any
}

// str returns a string column, "" for null or another type.
func (p *parsed) str(k string) string {
	s, _ := p.props[k].(string)
	return s
}

// id is the event identity the rule deduplicates on.
func (p *parsed) id(t *testing.T) string {
	ts, err := time.Parse(time.RFC3339Nano, p.str("Timestamp"))
	if err != nil {
		t.Fatalf("Timestamp %q: %v", p.str("Timestamp"), err)
	}
	return fmt.Sprint(p.category, "|", p.str("DeviceId"), "|", ts.UnixNano(), "|", p.props["ReportId"])
}

// parseAll decodes every record of d, failing the test on a message that is
// not {"records":[...]} with at least one record.
func parseAll(t *testing.T, d Dataset) []parsed {
	t.Helper()
	var out []parsed
	for i, m := range d.Messages {
		var env struct {
			Records []json.RawMessage `json:"records"`
		}
		if !json.Valid(m) {
			t.Fatalf("message %d is not valid JSON", i)
		}
		if err := json.Unmarshal(m, &env); err != nil || len(env.Records) == 0 {
			t.Fatalf("message %d: no records array (%v)", i, err)
		}
		for _, raw := range env.Records {
			var rec struct {
				Time       string         `json:"time"`
				TenantID   string         `json:"tenantId"`
				Category   string         `json:"category"`
				Properties map[string]any `json:"properties"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&rec); err != nil {
				t.Fatalf("message %d: record: %v", i, err)
			}
			out = append(out, parsed{
				msg: i, size: len(raw), time: rec.Time, tenant: rec.TenantID,
				category: rec.Category, props: rec.Properties,
			})
		}
	}
	return out
}

// generated is a dataset with its records parsed.
type generated struct {
	d    Dataset
	recs []parsed
}

var (
	cacheMu sync.Mutex
	cache   = map[string]generated{}
)

// dataset generates o and parses it, once per Options in a test binary.
func dataset(t *testing.T, o Options) (Dataset, []parsed) {
	t.Helper()
	key := fmt.Sprintf("%+v", o)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if g, ok := cache[key]; ok {
		return g.d, g.recs
	}
	d := Generate(o)
	g := generated{d, parseAll(t, d)}
	cache[key] = g
	return g.d, g.recs
}

// testOptions is the dataset most tests look at: two tenants, traps on.
func testOptions() Options {
	o := DefaultOptions()
	o.Seed = 42
	o.Records = 20000
	o.Tenants = []string{DefaultTenant, "11111111-1111-1111-1111-111111111111"}
	return o
}

// spanOptions are options with traps over [start, end).
func spanOptions(seed int64, records int, start, end time.Time) Options {
	return Options{Seed: seed, Records: records, Start: start, End: end, Traps: true}
}

// isCloudflare reports whether s, unmapped, is in one of the package's
// Cloudflare ranges.
func isCloudflare(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.Unmap()
	ranges := cloudflareV6
	if a.Is4() {
		ranges = cloudflareV4
	}
	for _, p := range ranges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isDottedCloudflare is the kql-parity address check: dotted IPv4 only.
func isDottedCloudflare(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && isCloudflare(s)
}

const networkCategory = "AdvancedHunting-DeviceNetworkEvents"
const certCategory = "AdvancedHunting-DeviceFileCertificateInfo"
