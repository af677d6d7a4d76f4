package state

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// Edge cases of the episodes index, the owed update and the edges
// of Apply and MarkSigned.

func newStoreOn(t *testing.T, rdb redis.UniversalClient, ns string, opt Options) *Store {
	t.Helper()
	s := New(rdb, ns, opt)
	if err := s.LoadScripts(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// redisOf returns a client of the test environment's standalone Redis or
// Redis Cluster, by mode, and a key prefix of the test's own.
func redisOf(t *testing.T, mode string) (redis.UniversalClient, string) {
	t.Helper()
	if mode == "cluster" {
		return testenv.RedisClusterNS(t)
	}
	return testenv.RedisNS(t)
}

func edgeEvent(tenant, sha1, dev string, pos int64, ts time.Time) Event {
	return Event{Tenant: tenant, SHA1: sha1, Partition: "in/0", Position: pos, ID: fmt.Sprintf("%s-%d", dev, pos),
		Group: Group{DeviceID: dev}, Time: ts}
}

// Nothing to do is nothing done, with no round trip.
func TestEmptyBatches(t *testing.T) {
	rdb, ns := testenv.RedisNS(t)
	s := newStoreOn(t, rdb, ns+"e", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if a, err := s.Apply(ctx, now, nil); a != nil || err != nil {
		t.Errorf("Apply(nil) = %v, %v", a, err)
	}
	old := []CertRow{{SHA1: hashA, Time: now.Add(-31 * 24 * time.Hour)}, {Tenant: "x", SHA1: hashA, Time: now.Add(-40 * 24 * time.Hour)}}
	if sg, err := s.MarkSigned(ctx, now, old); sg != nil || err != nil {
		t.Errorf("MarkSigned(only old rows) = %v, %v", sg, err)
	}
	if err := s.UpdatesSent(ctx, nil); err != nil {
		t.Error(err)
	}
}

// With tenants "" and "x" both holding an episode of one hash, a row of
// either tenant, or of a third, ends both; the row's own tenant comes
// first; rows too old in front of it do not shift the results.
func TestSignAcrossTenants(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, signer := range []string{"", "x", "other"} {
		for _, mode := range []string{"standalone", "cluster"} {
			t.Run(fmt.Sprintf("signed by %q on %s", signer, mode), func(t *testing.T) {
				rdb, ns := redisOf(t, mode)
				s := newStoreOn(t, rdb, ns+"x", testOptions)
				hb := "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
				if _, err := s.Apply(ctx, now, []Event{
					edgeEvent("", hashA, "d1", 1, now.Add(-time.Hour)),
					edgeEvent("x", hashA, "d2", 2, now.Add(-2*time.Hour)),
					edgeEvent("x", hb, "d2", 3, now.Add(-3*time.Hour)),
				}); err != nil {
					t.Fatal(err)
				}
				if ok, err := s.Open(ctx, "x", hashA, "alert-x", now, []string{"d2"}); err != nil || !ok {
					t.Fatalf("Open = %v, %v", ok, err)
				}
				rows := []CertRow{
					{Tenant: "x", SHA1: hashA, Time: now.Add(-45 * 24 * time.Hour)}, // too old: ignored
					{Tenant: signer, SHA1: hashA, Time: now},
					{Tenant: "", SHA1: hb, Time: now.Add(-60 * 24 * time.Hour)}, // too old: ignored
					{Tenant: signer, SHA1: hb, Time: now.Add(-time.Minute)},
				}
				got, err := s.MarkSigned(ctx, now, rows)
				if err != nil {
					t.Fatal(err)
				}
				want := map[Signed]bool{
					{Tenant: "", SHA1: hashA, Action: SignPending, EpisodeStart: now.Add(-time.Hour)}:    true,
					{Tenant: "x", SHA1: hashA, Action: SignClose, EpisodeStart: now.Add(-2 * time.Hour)}: true,
					{Tenant: "x", SHA1: hb, Action: SignPending, EpisodeStart: now.Add(-3 * time.Hour)}:  true,
				}
				if len(got) != len(want) {
					t.Fatalf("moved %+v, want %v", got, want)
				}
				for _, g := range got {
					if !want[g] {
						t.Errorf("unexpected move %+v (all: %+v)", g, got)
					}
				}
				if signer == "" || signer == "x" {
					// The row's own tenant first.
					if got[0].Tenant != signer || got[0].SHA1 != hashA {
						t.Errorf("first move %+v, want the signer's own episode", got[0])
					}
				}
				// Both scopes are exempt afterwards.
				a, err := s.Apply(ctx, now, []Event{edgeEvent("", hashA, "d3", 10, now), edgeEvent("x", hashA, "d3", 11, now)})
				if err != nil {
					t.Fatal(err)
				}
				if a[0].Outcome != Exempt || a[1].Outcome != Exempt {
					t.Errorf("after the row: %+v", a)
				}
			})
		}
	}
}

// Two rows of one hash in one batch: the open episode's close is handed
// out once per row (it stays "closing" until Closed). The store documents
// this as the re-read behaviour; the test pins it down so that a caller
// knows it must deduplicate.
func TestSameHashSignedTwiceInBatch(t *testing.T) {
	rdb, ns := testenv.RedisNS(t)
	s := newStoreOn(t, rdb, ns+"twice", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.Apply(ctx, now, []Event{edgeEvent("", hashA, "d1", 1, now.Add(-time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Open(ctx, "", hashA, "id", now, []string{"d1"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	got, err := s.MarkSigned(ctx, now, []CertRow{{SHA1: hashA, Time: now}, {SHA1: hashA, Time: now.Add(-time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	closes := 0
	for _, g := range got {
		if g.Action == SignClose {
			closes++
		}
	}
	t.Logf("two rows of one open hash in one batch: %d close moves: %+v", closes, got)
	if closes != 2 {
		t.Errorf("closes = %d, want 2 (one per row, as documented)", closes)
	}
}

// An event whose new device makes an update owed keeps the debt until
// UpdatesSent settles it with the same id; a re-read hands it out again;
// a settle with a stale id does not clear a newer debt.
func TestOwedUpdate(t *testing.T) {
	rdb, ns := testenv.RedisNS(t)
	s := newStoreOn(t, rdb, ns+"owed", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.Apply(ctx, now, []Event{edgeEvent("x", hashA, "d1", 1, now.Add(-time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Open(ctx, "x", hashA, "id", now.Add(-time.Hour), []string{"d1"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	e2 := edgeEvent("x", hashA, "d2", 2, now.Add(-50*time.Minute))
	e3 := edgeEvent("x", hashA, "d3", 3, now.Add(-40*time.Minute))
	a, err := s.Apply(ctx, now, []Event{e2, e3})
	if err != nil {
		t.Fatal(err)
	}
	if !a[0].NewDevice || a[0].UpdateOwed != e2.ID || !a[1].NewDevice || a[1].UpdateOwed != e3.ID {
		t.Fatalf("applied %+v", a)
	}
	// A settle of the older debt leaves the newer.
	if err := s.UpdatesSent(ctx, []Update{{Tenant: "x", SHA1: hashA, Owed: e2.ID}}); err != nil {
		t.Fatal(err)
	}
	again, err := s.Apply(ctx, now, []Event{e2})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Outcome != Reread || again[0].UpdateOwed != e3.ID {
		t.Errorf("re-read after a stale settle: %+v, want owed %q", again[0], e3.ID)
	}
	if err := s.UpdatesSent(ctx, []Update{{Tenant: "x", SHA1: hashA, Owed: e3.ID}}); err != nil {
		t.Fatal(err)
	}
	again, err = s.Apply(ctx, now, []Event{e3})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].UpdateOwed != "" {
		t.Errorf("owed after settle: %+v", again[0])
	}
}

// Apply accepts the positions the stream builds, offset<<20 | index, for
// every Kafka offset. A position is a 63-bit integer: compared as Lua
// numbers, doubles, positions of one message's records would round to the
// same number from offset 2^33 on, and the second record read as a re-read
// of the first.
func TestPositionPrecision(t *testing.T) {
	rdb, ns := testenv.RedisNS(t)
	s := newStoreOn(t, rdb, ns+"pos", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, offset := range []int64{1 << 32, 1 << 33, 1 << 40} {
		sha := fmt.Sprintf("%040x", offset)
		var events []Event
		for idx := range int64(3) {
			e := edgeEvent("", sha, fmt.Sprintf("d%d", idx), offset<<20|idx, now)
			events = append(events, e)
		}
		got, err := s.Apply(ctx, now, events)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range got {
			if a.Outcome != Counted {
				t.Errorf("offset %d (2^%d), record %d of the message, position %d: outcome %v, want Counted",
					offset, bitsLen(offset)-1, i, events[i].Position, a.Outcome)
			}
		}
	}
}

func bitsLen(n int64) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

// The episodes index lets a row of any tenant end the hash's episodes in
// every tenant. It must live as long as the episodes it lists: an open
// episode is kept alive by each event of its tenant, and a certificate row
// from another tenant must still close it after more than the state ttl
// (lookback + bucket) of steady traffic. Runs in real time with a short
// lookback, since the ttl is a Redis expiry.
func TestEpisodesIndexOutlivedByEpisode(t *testing.T) {
	t.Parallel()
	rdb, ns := testenv.RedisNS(t)
	opt := Options{Lookback: 2 * time.Second, Bucket: time.Second, DedupWindow: time.Second, MaxSamples: 3}
	s := newStoreOn(t, rdb, ns+"idx", opt)
	ctx := context.Background()
	hk := s.Keys().Hash("x", hashA)

	start := time.Now()
	if _, err := s.Apply(ctx, start, []Event{edgeEvent("x", hashA, "d1", 1, start)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Open(ctx, "x", hashA, "alert-x", start, []string{"d1"}); err != nil || !ok {
		t.Fatalf("Open = %v, %v", ok, err)
	}
	// Steady traffic of tenant x, for longer than the state ttl (3 s).
	pos := int64(2)
	for time.Since(start) < 4500*time.Millisecond {
		time.Sleep(250 * time.Millisecond)
		now := time.Now()
		a, err := s.Apply(ctx, now, []Event{edgeEvent("x", hashA, "d1", pos, now)})
		if err != nil {
			t.Fatal(err)
		}
		if a[0].Outcome != Counted || a[0].Status != StatusOpen {
			t.Fatalf("event at %v: %+v", time.Since(start), a[0])
		}
		pos++
	}
	epTTL := rdb.PTTL(ctx, hk.Episode).Val()
	idxTTL := rdb.PTTL(ctx, hk.Episodes).Val()
	t.Logf("after %v of traffic: episode pttl %v, episodes index pttl %v", time.Since(start).Round(time.Millisecond), epTTL, idxTTL)

	now := time.Now()
	got, err := s.MarkSigned(ctx, now, []CertRow{{Tenant: "", SHA1: hashA, Time: now}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Tenant != "x" || got[0].Action != SignClose {
		sum, _ := s.Summary(ctx, now, "x", hashA)
		t.Errorf("a row of tenant \"\" moved %+v; want the open alert of tenant x closed "+
			"(its episode is still %q: the alert is never closed)", got, sum.Status)
	}
}

// Under the kql-parity profile an event's hash is any non-empty string
// (certificate rows are checked to be SHA1s; events are not). One that
// starts with '}' gives its keys an empty hash tag ("ns:{}x}:g" tags
// nothing, so each key hashes whole): on a Cluster the call spans slots
// and fails with CROSSSLOT, a reply error that Pipeline.retry retries
// without end, holding the fetch's every event.
func TestOddHashOnCluster(t *testing.T) {
	rdb, ns := testenv.RedisClusterNS(t)
	s := newStoreOn(t, rdb, ns+"oh", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, h := range []string{"}x", "{", "a{b}c", "}"} {
		if _, err := s.Apply(ctx, now, []Event{edgeEvent("", h, "d1", 1, now)}); err != nil {
			t.Errorf("Apply for hash %q on a Cluster: %v", h, err)
		}
	}
}

// A partition's last position as an earlier release stored it, a plain
// number, still orders against the 20-digit positions written now: a
// rolling upgrade reads nothing twice and skips nothing.
func TestPositionStoredUnpadded(t *testing.T) {
	rdb, ns := testenv.RedisNS(t)
	s := newStoreOn(t, rdb, ns+"up", testOptions)
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	hk := s.Keys().Hash("", hashA)
	if err := rdb.HSet(ctx, hk.Offsets, "in/0", strconv.FormatInt(5<<20|1, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Apply(ctx, now, []Event{
		edgeEvent("", hashA, "d1", 5<<20|1, now), // the stored one: a re-read
		edgeEvent("", hashA, "d2", 4<<20|9, now), // before it: a re-read
		edgeEvent("", hashA, "d3", 5<<20|2, now), // after it: counted
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{Reread, Reread, Counted}
	for i, a := range got {
		if a.Outcome != want[i] {
			t.Errorf("event %d: outcome %v, want %v", i, a.Outcome, want[i])
		}
	}
}
