package state

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// scriptCalls counts the script calls a client sends, pipelined or not.
type scriptCalls struct{ n atomic.Int64 }

func (h *scriptCalls) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *scriptCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.count(cmd)
		return next(ctx, cmd)
	}
}

func (h *scriptCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.count(cmds...)
		return next(ctx, cmds)
	}
}

func (h *scriptCalls) count(cmds ...redis.Cmder) {
	for _, c := range cmds {
		if c.Name() == "evalsha" {
			h.n.Add(1)
		}
	}
}

// batchTraffic is a fetch's worth of certificate rows and events over a
// few hashes, with re-reads, source duplicates, a row that signs a pending
// hash and one that closes an open alert.
func batchTraffic(seed uint64) (certs []CertRow, events []Event, open string) {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	hashes := make([]string, 40)
	for i := range hashes {
		hashes[i] = fmt.Sprintf("%040x", 0xb000+i)
	}
	for i := range 300 {
		h := hashes[rng.IntN(len(hashes))]
		dev := fmt.Sprintf("d%d", rng.IntN(6))
		report := fmt.Sprint(rng.IntN(200)) // repeats: source duplicates
		pos := int64(i)
		if i > 0 && rng.IntN(10) == 0 {
			pos = int64(rng.IntN(i)) // a re-read
		}
		e := ev(dev, pos, t0.Add(time.Duration(rng.IntN(7200))*time.Second), report)
		e.SHA1, e.Partition = h, fmt.Sprintf("in/%d", rng.IntN(2))
		e.Samples = append(e.Samples, [2]string{SampleURL, fmt.Sprintf("u%d.example", rng.IntN(5))})
		if i > 0 && rng.IntN(15) == 0 {
			e = events[rng.IntN(i)] // delivered again by the source
			e.Position = int64(i)
		}
		events = append(events, e)
	}
	certs = append(certs, CertRow{SHA1: hashes[0], Time: t0})
	for i := range 60 {
		h := hashes[1+rng.IntN(len(hashes)-1)]
		if i%4 != 0 {
			h = fmt.Sprintf("%040x", 0xc000+i) // a file never seen running
		}
		certs = append(certs, CertRow{SHA1: h, Time: t0.Add(time.Duration(rng.IntN(7200)) * time.Second)})
	}
	return certs, events, hashes[0]
}

// The batched calls reach, item for item, what calls of one item each
// reach: the same outcomes, and the same state after.
func TestBatchedCallsSameAsOneByOne(t *testing.T) {
	standalone, ns := testenv.RedisNS(t)
	t.Run("single server", func(t *testing.T) {
		checkBatched(t, standalone, ns, 3+1) // 300 events in 128s, 61 rows in one call
	})
	t.Run("cluster", func(t *testing.T) {
		cluster, ns := testenv.RedisClusterNS(t)
		checkBatched(t, cluster, ns, 0)
	})
}

// checkBatched applies the same traffic through a store that batches and
// through one that sends an item a call, in namespaces of their own.
// wantCalls is the number of script calls the batch must take; 0 leaves it
// unchecked.
func checkBatched(t *testing.T, rdb redis.UniversalClient, prefix string, wantCalls int64) {
	ctx := context.Background()
	certs, events, open := batchTraffic(1)
	now := time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)

	batched := New(rdb, prefix+"batched", testOptions)
	single := New(rdb, prefix+"single", testOptions)
	for _, s := range []*Store{batched, single} {
		if err := s.LoadScripts(ctx); err != nil {
			t.Fatal(err)
		}
		// An open alert for the first hash, so that a row can close it.
		first := ev("d9", 1<<40, now.Add(-3*time.Hour), "open")
		first.SHA1 = open
		if _, err := s.Apply(ctx, now, []Event{first}); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Open(ctx, "", open, "id", now, []string{"d9"}); err != nil || !ok {
			t.Fatalf("Open = %v, %v", ok, err)
		}
	}

	calls := &scriptCalls{}
	rdb.AddHook(calls)
	before := calls.n.Load()
	gotSigned, err := batched.MarkSigned(ctx, now, certs)
	if err != nil {
		t.Fatal(err)
	}
	gotApplied, err := batched.Apply(ctx, now, events)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.n.Load() - before; wantCalls > 0 && n != wantCalls {
		t.Errorf("%d script calls for %d rows and %d events, want %d", n, len(certs), len(events), wantCalls)
	}

	var wantSigned []Signed
	for _, r := range certs {
		s, err := single.MarkSigned(ctx, now, []CertRow{r})
		if err != nil {
			t.Fatal(err)
		}
		wantSigned = append(wantSigned, s...)
	}
	var wantApplied []Applied
	for _, e := range events {
		a, err := single.Apply(ctx, now, []Event{e})
		if err != nil {
			t.Fatal(err)
		}
		wantApplied = append(wantApplied, a...)
	}

	if !reflect.DeepEqual(gotSigned, wantSigned) {
		t.Errorf("certificate rows:\nbatched %v\nsingly  %v", gotSigned, wantSigned)
	}
	if !reflect.DeepEqual(gotApplied, wantApplied) {
		t.Errorf("events:\nbatched %v\nsingly  %v", gotApplied, wantApplied)
	}
	kinds := map[Outcome]int{}
	closes := 0
	for _, a := range gotApplied {
		kinds[a.Outcome]++
	}
	for _, s := range gotSigned {
		if s.Action == SignClose {
			closes++
		}
	}
	// The traffic must exercise what it is meant to, or the comparison
	// proves little.
	if kinds[Counted] == 0 || kinds[Exempt] == 0 || kinds[Reread] == 0 || kinds[Duplicate] == 0 || closes == 0 {
		t.Errorf("traffic too tame: outcomes %v, %d closes", kinds, closes)
	}
	for _, e := range events {
		b, err := batched.Summary(ctx, now, "", e.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := single.Summary(ctx, now, "", e.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		b.AlertID, s.AlertID = "", ""
		if !reflect.DeepEqual(b, s) {
			t.Fatalf("hash %s:\nbatched %+v\nsingly  %+v", e.SHA1, b, s)
		}
	}
}
