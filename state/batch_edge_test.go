package state

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Edge cases of the batched apply and sign scripts: the batched
// calls must reach, item for item, what calls of one item each reach, for
// batches far above maxPerCall, for one hash and for many, with odd
// strings everywhere, on a single server and on a Redis Cluster.

// edgeTenants are the tenant scopes the generated traffic uses: the shared
// scope and some with odd characters (but no hash tag braces, see
// TestTenantWithBraces).
var edgeTenants = []string{"", "x", "tenant-ü-日本", "a b:c", "t|pipe", "\x1f", "00000000-0000-0000-0000-000000000000"}

// oddString returns an odd string: empty, unicode, the separator, long.
func oddString(rng *rand.Rand, i int) string {
	switch rng.IntN(9) {
	case 0:
		return ""
	case 1:
		return "ü日本😀" + fmt.Sprint(i%7)
	case 2:
		return "a" + groupSep + "b" + fmt.Sprint(i%5)
	case 3:
		return strings.Repeat("g", 10<<10) + fmt.Sprint(i%3) // 10 KB
	case 4:
		return "\x00nul\x00" + fmt.Sprint(i%4)
	case 5:
		return "%s{}[]\"'\\" + fmt.Sprint(i%4)
	default:
		return fmt.Sprintf("plain-%d", i%11)
	}
}

type edgeTraffic struct {
	first, second []Event    // events before and after the rows
	open          []hashRefT // episodes to open between first and rows
	rows          []CertRow
}

type hashRefT struct{ tenant, sha1 string }

// genEdgeTraffic builds n events per phase over nHashes hashes, with odd
// strings, several tenants, re-reads and source duplicates, and certificate
// rows: fresh and too old mixed, the same hash twice, rows of one tenant
// for hashes seen in another.
func genEdgeTraffic(seed uint64, n, nHashes int, odd bool) edgeTraffic {
	rng := rand.New(rand.NewPCG(seed, 99))
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	hashes := make([]string, nHashes)
	for i := range hashes {
		hashes[i] = fmt.Sprintf("%040x", 0xad0000+i+int(seed)<<12)
	}
	var tr edgeTraffic
	mk := func(phase, i int, prev []Event) Event {
		h := hashes[rng.IntN(len(hashes))]
		tenant := edgeTenants[rng.IntN(2)] // "" and "x" most of the time
		if odd && rng.IntN(3) == 0 {
			tenant = edgeTenants[rng.IntN(len(edgeTenants))]
		}
		dev := fmt.Sprintf("d%d", rng.IntN(8))
		g := Group{DeviceID: dev, DeviceName: dev + ".example", FolderPath: `c:\x`, FileName: "a.exe"}
		samples := [][2]string{{SampleURL, fmt.Sprintf("u%d.example", rng.IntN(5))}}
		id := fmt.Sprintf("r%d", rng.IntN(n))
		part := fmt.Sprintf("in/%d", rng.IntN(3))
		if odd {
			g.DeviceName, g.FolderPath = oddString(rng, i), oddString(rng, i+1)
			g.FileName, g.SHA256 = oddString(rng, i+2), oddString(rng, i+3)
			samples = append(samples,
				[2]string{SampleAccount, oddString(rng, i) + SampleSep + oddString(rng, i+1)},
				[2]string{SampleAddress, ""}, // empty: skipped by the script
				[2]string{SamplePort, oddString(rng, i)},
				[2]string{SampleTenant, tenant})
			if rng.IntN(4) == 0 {
				dev = oddString(rng, i)
				g.DeviceID = dev
			}
			if rng.IntN(10) == 0 {
				id = ""
			}
			if rng.IntN(10) == 0 {
				part = "ü/" + groupSep
			}
		}
		e := Event{Tenant: tenant, SHA1: h, Partition: part, Position: int64(phase<<30 | i), ID: id,
			Group: g, Time: t0.Add(time.Duration(rng.IntN(7200)) * time.Second), Samples: samples}
		if i > 0 && rng.IntN(10) == 0 {
			e.Position = int64(phase<<30 | rng.IntN(i)) // a re-read
		}
		if len(prev) > 0 && rng.IntN(12) == 0 {
			e = prev[rng.IntN(len(prev))] // delivered again by the source
			e.Position = int64(phase<<30 | i)
		}
		return e
	}
	for i := range n {
		tr.first = append(tr.first, mk(1, i, tr.first))
	}
	seen := map[hashRefT]bool{}
	for _, e := range tr.first {
		r := hashRefT{e.Tenant, e.SHA1}
		if !seen[r] && rng.IntN(3) == 0 {
			tr.open = append(tr.open, r)
		}
		seen[r] = true
	}
	for i := range nHashes * 2 {
		h := hashes[rng.IntN(len(hashes))]
		if i%5 == 4 {
			h = fmt.Sprintf("%040x", 0xfe0000+i) // never seen running
		}
		age := time.Duration(rng.IntN(7200)) * time.Second
		if rng.IntN(4) == 0 {
			age = 31 * 24 * time.Hour // older than the lookback at now
		}
		r := CertRow{Tenant: edgeTenants[rng.IntN(len(edgeTenants))], SHA1: h, Time: t0.Add(-age)}
		tr.rows = append(tr.rows, r)
		if rng.IntN(4) == 0 { // the same hash again, maybe from another tenant
			r.Tenant = edgeTenants[rng.IntN(2)]
			tr.rows = append(tr.rows, r)
		}
	}
	for i := range n {
		tr.second = append(tr.second, mk(2, i, append(tr.first[:len(tr.first):len(tr.first)], tr.second...)))
	}
	return tr
}

// runBothWays runs the traffic through a store that batches and one that sends
// one item a call, in namespaces of their own, and compares every result
// and every hash's summary after.
func runBothWays(t *testing.T, rdb redis.UniversalClient, prefix string, tr edgeTraffic) (applied []Applied, signed []Signed) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)
	batched := New(rdb, prefix+"b", testOptions)
	single := New(rdb, prefix+"s", testOptions)
	for _, s := range []*Store{batched, single} {
		if err := s.LoadScripts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	applyBoth := func(events []Event, phase string) []Applied {
		got, err := batched.Apply(ctx, now, events)
		if err != nil {
			t.Fatalf("%s: batched Apply: %v", phase, err)
		}
		if len(got) != len(events) {
			t.Fatalf("%s: %d results for %d events", phase, len(got), len(events))
		}
		var want []Applied
		for _, e := range events {
			a, err := single.Apply(ctx, now, []Event{e})
			if err != nil {
				t.Fatalf("%s: single Apply: %v", phase, err)
			}
			want = append(want, a...)
		}
		for i := range events {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s: event %d (tenant %q hash %s pos %d id %q):\nbatched %+v\nsingly  %+v",
					phase, i, events[i].Tenant, events[i].SHA1, events[i].Position, events[i].ID, got[i], want[i])
			}
		}
		return got
	}
	applied = append(applied, applyBoth(tr.first, "first")...)
	for _, r := range tr.open {
		for _, s := range []*Store{batched, single} {
			if _, err := s.Open(ctx, r.tenant, r.sha1, "id", now, []string{"d0"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := batched.MarkSigned(ctx, now, tr.rows)
	if err != nil {
		t.Fatal(err)
	}
	var want []Signed
	for _, r := range tr.rows {
		s, err := single.MarkSigned(ctx, now, []CertRow{r})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, s...)
	}
	// On a Cluster the moves come grouped by hash, not in row order:
	// compare them as multisets there.
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		sortSigned(got)
		sortSigned(want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("certificate rows:\nbatched %+v\nsingly  %+v", got, want)
	}
	signed = got
	applied = append(applied, applyBoth(tr.second, "second")...)

	refs := map[hashRefT]bool{}
	for _, e := range append(tr.first, tr.second...) {
		refs[hashRefT{e.Tenant, e.SHA1}] = true
	}
	for r := range refs {
		b, err := batched.Summary(ctx, now, r.tenant, r.sha1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := single.Summary(ctx, now, r.tenant, r.sha1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(b, s) {
			t.Fatalf("tenant %q hash %s:\nbatched %+v\nsingly  %+v", r.tenant, r.sha1, b, s)
		}
	}
	return applied, signed
}

func sortSigned(s []Signed) {
	slices.SortStableFunc(s, func(a, b Signed) int {
		return cmp.Or(strings.Compare(a.SHA1, b.SHA1), strings.Compare(a.Tenant, b.Tenant),
			strings.Compare(string(a.Action), string(b.Action)), a.EpisodeStart.Compare(b.EpisodeStart))
	})
}

func checkVariety(t *testing.T, applied []Applied, signed []Signed) {
	t.Helper()
	kinds := map[Outcome]int{}
	for _, a := range applied {
		kinds[a.Outcome]++
	}
	actions := map[SignAction]int{}
	for _, s := range signed {
		actions[s.Action]++
	}
	if kinds[Counted] == 0 || kinds[Exempt] == 0 || kinds[Reread] == 0 || kinds[Duplicate] == 0 ||
		actions[SignClose] == 0 || actions[SignPending] == 0 {
		t.Errorf("traffic too tame: outcomes %v, actions %v", kinds, actions)
	}
}

// Large and odd batches, on a single server and on a Cluster: the same
// outcomes and state as one item a call.
func TestBatchedLarge(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			rdb, ns := redisOf(t, mode)
			for _, c := range []struct {
				n, hashes int
				odd       bool
			}{{300, 1, false}, {1000, 1, true}, {1000, 60, false}, {1000, 60, true}, {129, 3, true}} {
				t.Run(fmt.Sprintf("%d events %d hashes odd %v", c.n, c.hashes, c.odd), func(t *testing.T) {
					a, s := runBothWays(t, rdb, fmt.Sprintf("%s%d-%d-%v", ns, c.n, c.hashes, c.odd),
						genEdgeTraffic(uint64(c.n+c.hashes), c.n, c.hashes, c.odd))
					if c.hashes > 1 {
						checkVariety(t, a, s)
					}
				})
			}
		})
	}
}

// Many rows of one hash, more than a call takes, fresh and too old mixed,
// from several tenants: the same moves as one row a call, and the calls
// the split promises.
func TestManyRowsOneHash(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			rdb, ns := redisOf(t, mode)
			rng := rand.New(rand.NewPCG(21, 22))
			t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
			tr := edgeTraffic{}
			for i := range 200 {
				e := edgeEvent(edgeTenants[rng.IntN(4)], hashA, fmt.Sprintf("d%d", i%7), int64(i), t0.Add(time.Duration(i)*time.Second))
				tr.first = append(tr.first, e)
			}
			tr.open = []hashRefT{{"", hashA}, {"x", hashA}}
			live := 0
			for i := range 300 {
				r := CertRow{Tenant: edgeTenants[rng.IntN(len(edgeTenants))], SHA1: hashA, Time: t0.Add(-time.Duration(i) * time.Minute)}
				if i%3 == 0 {
					r.Time = t0.Add(-40 * 24 * time.Hour)
				} else {
					live++
				}
				tr.rows = append(tr.rows, r)
			}
			for i := range 200 {
				e := edgeEvent(edgeTenants[rng.IntN(4)], hashA, fmt.Sprintf("d%d", i%9), int64(1000+i), t0.Add(time.Duration(i)*time.Second))
				tr.second = append(tr.second, e)
			}
			calls := &scriptCalls{}
			rdb.AddHook(calls)
			before := calls.n.Load()
			_, signed := runBothWays(t, rdb, ns+"rows", tr)
			// Batched: 2 apply calls per phase (200 events), 2 sign calls
			// (200 live rows), one Open transition per open episode;
			// singly: a call an item.
			n := calls.n.Load() - before
			singly := int64(len(tr.first) + len(tr.second) + live + len(tr.open))
			batched := int64(2*((200+maxPerCall-1)/maxPerCall) + (live+maxPerCall-1)/maxPerCall + len(tr.open))
			summaries := int64(2 * 4) // four tenant scopes, two stores
			if n != singly+batched+summaries {
				t.Errorf("%d script calls, want %d singly + %d batched + %d summaries", n, singly, batched, summaries)
			}
			closes := 0
			for _, s := range signed {
				if s.Action == SignClose {
					closes++
				}
			}
			if closes < 2 {
				t.Errorf("moves %+v: want the open episodes closed", signed)
			}
		})
	}
}
