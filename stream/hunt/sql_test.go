package hunt_test

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// The hunting query, written again in SQL over the tables of openDB. Each
// CTE is a step of the query; :from is now - Lookback. The profiles share
// the steps after byDevice.

// kqlEvents is the where clause and ipv4_lookup of kql-parity, each event
// identity numbered in input order.
const kqlEvents = `
events AS (
	SELECT *, SHA1 AS Hash,
		ROW_NUMBER() OVER (PARTITION BY DeviceId, Ts, ReportId ORDER BY Seq) AS Nth
	FROM DeviceNetworkEvents n
	WHERE Ts > :from AND upper(AccountName) = 'SYSTEM'
		AND EXISTS (SELECT 1 FROM RangesV4 r WHERE n.KqlV4 BETWEEN r.First AND r.Last)
),
byDevice AS (
	SELECT DeviceId, DeviceName, FolderPath, FileName, SHA256, Hash, COUNT(*) AS Count
	FROM events WHERE Nth = 1
	GROUP BY DeviceId, DeviceName, FolderPath, FileName, SHA256, Hash
),
unsigned AS (
	SELECT * FROM byDevice b WHERE NOT EXISTS (SELECT 1 FROM DeviceFileCertificateInfo c
		WHERE c.Ts > :from AND c.SHA1 = b.Hash)
),
byHash AS (
	SELECT SHA256, Hash, ` + lists + `
	FROM unsigned GROUP BY SHA256, Hash
)`

// defaultEvents is the same under the default profile: System by name or
// SID, IPv4 and IPv6, a valid SHA1 compared in lower case, grouped by SHA1
// alone with its least non-empty SHA256.
const defaultEvents = `
events AS (
	SELECT *, lower(SHA1) AS Hash,
		ROW_NUMBER() OVER (PARTITION BY DeviceId, Ts, ReportId ORDER BY Seq) AS Nth
	FROM DeviceNetworkEvents n
	WHERE Ts > :from
		AND (upper(AccountName) = 'SYSTEM' OR AccountSid = 'S-1-5-18')
		AND (EXISTS (SELECT 1 FROM RangesV4 r WHERE n.DefV4 BETWEEN r.First AND r.Last)
			OR EXISTS (SELECT 1 FROM RangesV6 r
				WHERE (n.DefV6Hi > r.FirstHi OR (n.DefV6Hi = r.FirstHi AND n.DefV6Lo >= r.FirstLo))
				AND (n.DefV6Hi < r.LastHi OR (n.DefV6Hi = r.LastHi AND n.DefV6Lo <= r.LastLo))))
		AND length(SHA1) = 40 AND lower(SHA1) NOT GLOB '*[^0-9a-f]*'
),
byDevice AS (
	SELECT DeviceId, DeviceName, FolderPath, FileName, Hash,
		MIN(NULLIF(lower(SHA256), '')) AS SHA256, COUNT(*) AS Count
	FROM events WHERE Nth = 1
	GROUP BY DeviceId, DeviceName, FolderPath, FileName, Hash
),
unsigned AS (
	SELECT * FROM byDevice b WHERE NOT EXISTS (SELECT 1 FROM DeviceFileCertificateInfo c
		WHERE c.Ts > :from AND lower(c.SHA1) = b.Hash)
),
byHash AS (
	SELECT COALESCE(MIN(SHA256), '') AS SHA256, Hash, ` + lists + `
	FROM unsigned GROUP BY Hash
)`

// lists is the second summarize: dcount, sum and the three make_list, as
// JSON arrays built in one pass over the same rows, so that they line up.
const lists = `COUNT(DISTINCT DeviceId) AS Devices, SUM(Count) AS Count,
	json_group_array(DeviceName) AS Names, json_group_array(FolderPath) AS Paths,
	json_group_array(FileName) AS Files`

// expand is the FileProfile filter, the mv-expand of the three lists in
// step, and the order. profileJoin and keep differ by profile.
const expand = `
SELECT h.Hash, h.SHA256, n.value, p.value, f.value, h.Count, h.Devices,
	COALESCE(fp.SignatureState, 'Unknown'), fp.GlobalPrevalence
FROM byHash h
%s JOIN FileProfile fp ON lower(fp.SHA1) = lower(h.Hash)
JOIN json_each(h.Names) n
JOIN json_each(h.Paths) p ON p.key = n.key
JOIN json_each(h.Files) f ON f.key = n.key
WHERE %s
ORDER BY h.Count DESC, h.Hash, h.SHA256, n.value, p.value, f.value`

const qualifies = `fp.SignatureState = 'Unsigned' AND fp.GlobalPrevalence < :maxPrevalence`

// reference evaluates the query in SQL. It returns ErrTooManyGroups as
// Rows would.
func reference(t *testing.T, db *sql.DB, p rule.Profile, from time.Time,
	maxGroups int) ([]hunt.Row, error) {
	t.Helper()
	ctes, join, where := kqlEvents, "", qualifies
	if p == rule.Default {
		ctes, join, where = defaultEvents, "LEFT", "fp.SHA1 IS NULL OR ("+qualifies+")"
	}
	args := []any{sql.Named("from", from.UnixNano()),
		sql.Named("maxPrevalence", hunt.DefaultMaxPrevalence)}

	if p == rule.KQLParity {
		var groups int
		err := db.QueryRow("WITH "+ctes+" SELECT COUNT(*) FROM byHash", args...).Scan(&groups)
		if err != nil {
			t.Fatal(err)
		}
		if groups > maxGroups {
			return nil, hunt.ErrTooManyGroups
		}
	}

	rs, err := db.Query("WITH "+ctes+fmt.Sprintf(expand, join, where), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var rows []hunt.Row
	for rs.Next() {
		var r hunt.Row
		var prevalence sql.NullInt64
		if err := rs.Scan(&r.SHA1, &r.SHA256, &r.DeviceName, &r.InitiatingProcessFolderPath,
			&r.InitiatingProcessFileName, &r.Count, &r.Devices, &r.SignatureState, &prevalence); err != nil {
			t.Fatal(err)
		}
		if prevalence.Valid {
			r.GlobalPrevalence = &prevalence.Int64
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, nil
}

// differential is one generated dataset and the moment it is hunted at.
type differential struct {
	seed      int64
	span      time.Duration
	now       func(start, end time.Time) time.Time
	lookback  time.Duration
	maxGroups int
	whole     bool // the window holds the whole span: gen's Counts are the answer
	wide      bool // watch every address, not Cloudflare's: many more groups
}

// TestAgainstSQL checks that a hunt, in both profiles, gives row for row
// what the query written in SQL gives over the same generated traffic.
func TestAgainstSQL(t *testing.T) {
	const day = 24 * time.Hour
	atEnd := func(_, end time.Time) time.Time { return end }
	tests := []differential{
		{seed: 1, span: day, now: atEnd, whole: true},
		{seed: 2, span: day, now: atEnd, wide: true},
		{seed: 3, span: 3 * day, now: atEnd, whole: true},
		// A short window in the middle: older events out, later ones in.
		{seed: 4, span: day, lookback: 6 * time.Hour,
			now: func(start, _ time.Time) time.Time { return start.Add(12 * time.Hour) }},
		{seed: 5, span: 2 * day, lookback: 90 * time.Minute,
			now: func(start, _ time.Time) time.Time { return start.Add(30 * time.Hour) }},
		// The window starts exactly at the span's start, where records are
		// clamped: those are out.
		{seed: 6, span: day, now: func(start, _ time.Time) time.Time { return start.Add(30 * day) }},
		// Forty days: the 30-day window cuts the first ten.
		{seed: 7, span: 40 * day, now: atEnd},
		{seed: 8, span: 40 * day, now: atEnd, wide: true},
		// Far past the span: nothing is in the window.
		{seed: 9, span: day, now: func(_, end time.Time) time.Time { return end.Add(60 * day) }},
		// The size guard, tripped or not by a few groups.
		{seed: 10, span: day, now: atEnd, maxGroups: 5},
		{seed: 11, span: day, now: atEnd, maxGroups: 1 << 20, whole: true},
		{seed: 13, span: day, now: atEnd, wide: true, maxGroups: 50},
		{seed: 14, span: 3 * day, lookback: 2 * day, now: atEnd, wide: true},
		{seed: 12, span: 2 * day, now: atEnd, maxGroups: 40, whole: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("seed%d", tt.seed), func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

func (tt differential) run(t *testing.T) {
	start := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	ds := gen.Generate(gen.Options{Seed: tt.seed, Start: start, End: start.Add(tt.span),
		Records: 3000, Devices: 60, Positives: 3, Traps: true})
	profiles := someProfiles(ds, tt.seed%2 == 1 || tt.wide)
	ranges := config.BundledCloudflare()
	if tt.wide {
		var err error
		if ranges, err = config.ParseRanges("everything", []string{"0.0.0.0/0", "::/0"}); err != nil {
			t.Fatal(err)
		}
	}
	db := openDB(t, ds.Messages, profiles, ranges)

	now := tt.now(start, start.Add(tt.span))
	lookback := cmp.Or(tt.lookback, hunt.DefaultLookback)
	maxGroups := cmp.Or(tt.maxGroups, hunt.DefaultMaxGroups)
	for _, p := range bothProfiles {
		o := hunt.Options{Profile: p, Ranges: ranges, Now: now, Lookback: lookback,
			MaxGroups: maxGroups, Provider: enrich.NewStatic(profiles)}
		got, _, err := run(t, o, ds.Messages...)
		want, wantErr := reference(t, db, p, now.Add(-lookback), maxGroups)
		switch {
		case wantErr != nil:
			if !isTooMany(err) {
				t.Errorf("%s: got %v, want ErrTooManyGroups", p, err)
			}
			t.Logf("%s: too many groups, as in SQL", p)
			continue
		case err != nil:
			t.Fatalf("%s: %v", p, err)
		}
		if !slices.Equal(show(got), show(want)) {
			t.Errorf("%s: %d rows, SQL %d\n%s", p, len(got), len(want), diff(show(got), show(want)))
		}
		t.Logf("%s: %d rows, as in SQL", p, len(got))
		if tt.whole {
			checkPlanted(t, p, ds, got)
		}
	}
}

// someProfiles returns the generator's FileProfile answers less about one
// hash in six, never a planted one: enough unknown hashes to tell the
// profiles apart on them. With lax, every hash is Unsigned and its
// prevalence is cut below 100000, so that most hashes the where clause
// keeps reach the result, and with them more groups and rows.
func someProfiles(ds gen.Dataset, lax bool) map[string]enrich.Profile {
	out := map[string]enrich.Profile{}
	for h, p := range ds.Profiles {
		if !slices.Contains(ds.Planted, h) && h[len(h)-1]%6 == 0 {
			continue
		}
		if lax {
			p.SignatureState, p.GlobalPrevalence = "Unsigned", p.GlobalPrevalence%100000
		}
		out[h] = enrich.Profile{SHA256: p.SHA256, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence}
	}
	return out
}

// checkPlanted compares the planted hashes' rows with the generator's own
// count of their events, a second, independent answer.
func checkPlanted(t *testing.T, p rule.Profile, ds gen.Dataset, rows []hunt.Row) {
	t.Helper()
	found := ds.Planted
	if p == rule.KQLParity {
		found = ds.KQLParity()
	}
	// A hash's events are the sum over its groups; a group's rows all
	// carry its Count.
	groups := map[[2]string]int64{}
	devices := map[string]int{}
	for _, r := range rows {
		groups[[2]string{r.SHA1, r.SHA256}] = r.Count
		devices[r.SHA1] = r.Devices
	}
	counts := map[string]int64{}
	for k, n := range groups {
		counts[k[0]] += n
	}
	for _, h := range found {
		c := ds.Counts[h]
		want := int64(c.KQLParity)
		if p == rule.Default {
			want = int64(c.Default)
		}
		if counts[h] != want {
			t.Errorf("%s: planted %s counted %d, generator says %d", p, h, counts[h], want)
		}
		if p == rule.Default && devices[h] != c.Devices {
			t.Errorf("%s: planted %s on %d devices, generator says %d", p, h, devices[h], c.Devices)
		}
	}
}

// diff lists the first rows that differ.
func diff(got, want []string) string {
	var out string
	for i, n := 0, 0; i < max(len(got), len(want)) && n < 5; i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			out += fmt.Sprintf("row %d:\n  hunt %s\n  sql  %s\n", i, g, w)
			n++
		}
	}
	return out
}
