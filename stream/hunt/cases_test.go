package hunt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/internal/faultcase"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// casesDir holds the public fault cases. Their *.expect.txt are written
// for kql-parity; where default differs (B02) is noted on the test.
const casesDir = "../testdata/cases"

func loadCase(t *testing.T, name string) faultcase.Case {
	t.Helper()
	c, err := faultcase.Load(casesDir, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// values returns every message of the case, the scenario's included; a
// batch hunt reads them all at once, so their order does not matter.
func values(t *testing.T, c faultcase.Case) [][]byte {
	t.Helper()
	v, err := c.Values()
	if err != nil {
		t.Fatal(err)
	}
	return append(c.StepMessages(), v...)
}

// finalRanges returns the last range list of a scenario that parses: the
// list in force at its end.
func finalRanges(t *testing.T, c faultcase.Case) *config.RangeSet {
	t.Helper()
	var last *config.RangeSet
	for _, s := range c.Steps {
		list := slices.Concat(s.LoadCIDRs, s.ReloadCIDRs)
		if len(list) == 0 {
			continue
		}
		if set, err := config.ParseRanges("case", list); err == nil {
			last = set
		}
	}
	if last == nil {
		t.Fatal("no range list in the scenario")
	}
	return last
}

// queryRanges returns the 15 ranges of the hunting query, from the cases'
// _defaults.json.
func queryRanges(t *testing.T) *config.RangeSet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(casesDir, "_defaults.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		CIDRs []string `json:"cidrs_default"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	set, err := config.ParseRanges("query", d.CIDRs)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestFaultCases runs the public fault cases through a hunt, under the
// profile each expectation is written for (kql-parity) and under default.
func TestFaultCases(t *testing.T) {
	const (
		host   = "host-a.example.test"
		sha256 = "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"
		dir    = `c:\programdata\example\`
	)
	x := func(sha256, path string, count int64) hunt.Row {
		return row(hashX, sha256, host, dir+path, "agent.exe", count, 1)
	}
	may2024 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		profile rule.Profile
		now     time.Time
		ranges  string // "final": the scenario's last good list; "": the bundled list
		want    []hunt.Row
	}{
		// None of the seven addresses is a dotted IPv4 Cloudflare address;
		// default reads the first, an IPv6 Cloudflare peer.
		{"B02", rule.KQLParity, may2024, "", nil},
		{"B02", rule.Default, may2024, "", []hunt.Row{x(sha256, "agent.exe", 1)}},

		// A batch has one range list, not a reload history. Under the
		// final list (its /12 covers 104.28.0.0/14 again) all five events
		// match, E once although three entries hold it; under the query's
		// 15 ranges A and B (104.28.0.1) do not.
		{"B04", rule.KQLParity, may2024, "final", []hunt.Row{x(sha256, "agent.exe", 5)}},
		{"B04", rule.KQLParity, may2024, "query", []hunt.Row{x(sha256, "agent.exe", 3)}},
		{"B04", rule.Default, may2024, "final", []hunt.Row{x(sha256, "agent.exe", 5)}},

		// Null and absent SHA256 are one group; no row for the empty SHA1.
		{"B06", rule.KQLParity, may2024, "", []hunt.Row{x("", "agent.exe", 2)}},
		{"B06", rule.Default, may2024, "", []hunt.Row{x("", "agent.exe", 2)}},

		// X is signed 11 days before, Z 20 minutes after: both exempt, as
		// any certificate row in the window exempts a hash.
		{"B08", rule.KQLParity, may2024, "", nil},
		{"B08", rule.Default, may2024, "", nil},

		// Several tables in one message; Y's certificate row among them.
		{"B10", rule.KQLParity, may2024, "", []hunt.Row{x(sha256, "agent.exe", 2)}},
		{"B10", rule.Default, may2024, "", []hunt.Row{x(sha256, "agent.exe", 2)}},

		// Five timestamps parse; the null and the locale one are bad records.
		{"B11", rule.KQLParity, time.Date(2021, 4, 15, 0, 0, 0, 0, time.UTC), "",
			[]hunt.Row{x(sha256, "agent.exe", 5)}},
		{"B11", rule.Default, time.Date(2021, 4, 15, 0, 0, 0, 0, time.UTC), "",
			[]hunt.Row{x(sha256, "agent.exe", 5)}},

		// Only Y has a certificate row.
		{"B18", rule.KQLParity, may2024, "", []hunt.Row{x(sha256, "agent.exe", 1),
			row(hashZ, sha256, host, dir+"upd.exe", "upd.exe", 1, 1)}},
		{"B18", rule.Default, may2024, "", []hunt.Row{x(sha256, "agent.exe", 1),
			row(hashZ, sha256, host, dir+"upd.exe", "upd.exe", 1, 1)}},

		// Invalid UTF-8 and a lone surrogate in the path read as U+FFFD;
		// the two paths differ, so each has its row.
		{"B21", rule.KQLParity, may2024, "", []hunt.Row{x(sha256, "ag\uFFFDnt.exe", 2),
			x(sha256, "ag\uFFFD\uFFFDnt.exe", 2)}},
		{"B21", rule.Default, may2024, "", []hunt.Row{x(sha256, "ag\uFFFDnt.exe", 2),
			x(sha256, "ag\uFFFD\uFFFDnt.exe", 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+string(tt.profile)+"/"+tt.ranges, func(t *testing.T) {
			c := loadCase(t, tt.name)
			o := hunt.Options{Profile: tt.profile, Now: tt.now, Provider: c.Provider()}
			switch tt.ranges {
			case "final":
				o.Ranges = finalRanges(t, c)
			case "query":
				o.Ranges = queryRanges(t)
			}
			rows, st, err := run(t, o, values(t, c)...)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, tt.want)
			for _, r := range rows {
				if !utf8.ValidString(r.InitiatingProcessFolderPath) || !utf8.ValidString(r.DeviceName) {
					t.Errorf("row %+v is not valid UTF-8", r)
				}
			}
			if st.BadMessages != 0 {
				t.Errorf("%d undecodable messages", st.BadMessages)
			}
			if wantBad := int64(map[string]int{"B11": 2}[tt.name]); st.BadRecords != wantBad {
				t.Errorf("%d bad records, want %d", st.BadRecords, wantBad)
			}
		})
	}
}
