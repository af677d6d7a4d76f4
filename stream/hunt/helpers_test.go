package hunt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/rule"
)

const (
	hashX = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	hashY = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	hashZ = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"
	sha2X = "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"

	pathX = `c:\programdata\example\agent.exe`
	fileX = "agent.exe"
)

// now is the hunts' now(); the window starts 30 days before it.
var now = time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)

// absent, given as a property's value, leaves the property out.
const absent = "\x00absent"

// props are a record's properties; a nil value is JSON null.
type props map[string]any

// network returns a network event that is a candidate under both profiles
// (System, a dotted Cloudflare IPv4 peer, hash X), changed by over.
func network(over props) map[string]any {
	p := props{
		"Timestamp":                      "2024-05-01T10:00:00.0000000Z",
		"DeviceId":                       "dev-1",
		"DeviceName":                     "host-1",
		"ReportId":                       1,
		"InitiatingProcessAccountName":   "system",
		"InitiatingProcessAccountSid":    "S-1-5-18",
		"InitiatingProcessAccountDomain": "nt authority",
		"RemoteIP":                       "104.16.5.7",
		"RemotePort":                     443,
		"InitiatingProcessSHA1":          hashX,
		"InitiatingProcessSHA256":        sha2X,
		"InitiatingProcessFolderPath":    pathX,
		"InitiatingProcessFileName":      fileX,
	}
	return record("AdvancedHunting-DeviceNetworkEvents", p, over)
}

// cert returns a certificate row for sha1 at ts.
func cert(sha1, ts string, over props) map[string]any {
	p := props{"Timestamp": ts, "DeviceId": "dev-9", "SHA1": sha1, "IsSigned": true,
		"IsTrusted": true, "ReportId": 9000}
	return record("AdvancedHunting-DeviceFileCertificateInfo", p, over)
}

func record(category string, p, over props) map[string]any {
	for k, v := range over {
		if v == absent {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	return map[string]any{"time": "2024-05-01T10:05:00.0000000Z", "category": category,
		"tenantId": "00000000-0000-0000-0000-000000000000", "properties": map[string]any(p)}
}

// envelope returns one Kafka message value holding recs.
func envelope(t testing.TB, recs ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"records": recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// each returns one message per record.
func each(t testing.TB, recs ...map[string]any) [][]byte {
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = envelope(t, r)
	}
	return out
}

// unsigned12 is a provider that knows the given hashes as Unsigned with
// GlobalPrevalence 12, the fault cases' default.
func unsigned12(hashes ...string) enrich.Provider {
	m := map[string]enrich.Profile{}
	for _, h := range hashes {
		m[h] = enrich.Profile{SignatureState: "Unsigned", GlobalPrevalence: 12}
	}
	return enrich.NewStatic(m)
}

// run hunts over msgs with o, Now defaulting to now.
func run(t testing.TB, o hunt.Options, msgs ...[]byte) ([]hunt.Row, hunt.Stats, error) {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = now
	}
	h := hunt.New(o)
	for _, m := range msgs {
		_ = h.Add(m) // counted in the stats
	}
	rows, err := h.Rows(context.Background())
	return rows, h.Stats(), err
}

// row is an expected row with the profile Unsigned, 12.
func row(sha1, sha256, device, path, file string, count int64, devices int) hunt.Row {
	p := int64(12)
	return hunt.Row{SHA1: sha1, SHA256: sha256, DeviceName: device,
		InitiatingProcessFolderPath: path, InitiatingProcessFileName: file,
		Count: count, Devices: devices, SignatureState: "Unsigned", GlobalPrevalence: &p}
}

// rowX is hash X's row from host-1 with the usual path.
func rowX(sha256 string, count int64, devices int) hunt.Row {
	return row(hashX, sha256, "host-1", pathX, fileX, count, devices)
}

// unknown turns r into a row without a FileProfile answer.
func unknown(r hunt.Row) hunt.Row {
	r.SignatureState, r.GlobalPrevalence = hunt.UnknownState, nil
	return r
}

func checkRows(t testing.TB, got, want []hunt.Row) {
	t.Helper()
	if fmt.Sprint(show(got)) != fmt.Sprint(show(want)) {
		t.Errorf("rows:\n got %v\nwant %v", show(got), show(want))
	}
}

// show renders rows for comparison and messages, prevalence dereferenced.
func show(rows []hunt.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		prev := "null"
		if r.GlobalPrevalence != nil {
			prev = fmt.Sprint(*r.GlobalPrevalence)
		}
		out[i] = fmt.Sprintf("{%s %s %s %s %s n=%d dev=%d %s %s}", r.SHA1, r.SHA256,
			r.DeviceName, r.InitiatingProcessFolderPath, r.InitiatingProcessFileName,
			r.Count, r.Devices, r.SignatureState, prev)
	}
	return out
}

// tcase is a table test run under both profiles: each record is its own
// message, and kql and def are the rows expected under each.
type tcase struct {
	name     string
	recs     []map[string]any
	opts     hunt.Options // Profile is set by runCases; Provider defaults to X, Y, Z Unsigned 12
	kql, def []hunt.Row
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		for _, p := range bothProfiles {
			t.Run(tc.name+"/"+string(p), func(t *testing.T) {
				o := tc.opts
				o.Profile = p
				if o.Provider == nil {
					o.Provider = unsigned12(hashX, hashY, hashZ)
				}
				rows, _, err := run(t, o, each(t, tc.recs...)...)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.def
				if p == rule.KQLParity {
					want = tc.kql
				}
				checkRows(t, rows, want)
			})
		}
	}
}

// bothProfiles are the two rule profiles.
var bothProfiles = []rule.Profile{rule.KQLParity, rule.Default}

func isTooMany(err error) bool { return errors.Is(err, hunt.ErrTooManyGroups) }
