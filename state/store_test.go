package state

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

const hashA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"

var testOptions = Options{
	Lookback:       30 * 24 * time.Hour,
	Bucket:         time.Hour,
	DedupWindow:    time.Hour,
	UpdateInterval: 0,
	MaxSamples:     3,
}

// newTestStore is replaced in contract_test.go by a real-server variant when
// one is configured; here it runs on miniredis.
func newMiniStore(t *testing.T) *Store {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := New(rdb, "fwt", testOptions)
	if err := s.LoadScripts(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(dev string, pos int64, ts time.Time, report string) Event {
	return Event{
		SHA1: hashA, Partition: "in/0", Position: pos, ID: dev + report,
		Group: Group{DeviceID: dev, DeviceName: dev + ".example", FolderPath: `c:\x\agent.exe`, FileName: "agent.exe"},
		Time:  ts, Samples: [][2]string{{SampleAddress, "104.16.5.7"}, {SamplePort, "443"}},
	}
}

func TestApplyCountsOnce(t *testing.T) {
	s := newMiniStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	events := []Event{ev("d1", 1, t0, "1"), ev("d1", 2, t0.Add(time.Second), "2"), ev("d2", 3, t0, "3")}
	got, err := s.Apply(ctx, t0.Add(time.Minute), events)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range got {
		if a.Outcome != Counted || a.Status != StatusPending {
			t.Errorf("event %d: %+v", i, a)
		}
	}
	if !got[2].EpisodeStart.Equal(t0) {
		t.Errorf("episode start = %v, want %v", got[2].EpisodeStart, t0)
	}

	// A re-read of the same positions and a source duplicate at a new
	// position are both skipped.
	dup := ev("d1", 4, t0, "1")
	again, err := s.Apply(ctx, t0.Add(time.Minute), append(events[:1:1], dup))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Outcome != Reread || again[1].Outcome != Duplicate {
		t.Errorf("re-read, duplicate = %v, %v", again[0].Outcome, again[1].Outcome)
	}

	sum, err := s.Summary(ctx, t0.Add(time.Minute), "", hashA)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count() != 3 || len(sum.Devices()) != 2 || sum.Status != StatusPending {
		t.Errorf("count %d, devices %v, status %q", sum.Count(), sum.Devices(), sum.Status)
	}
	if len(sum.Samples[SampleAddress]) != 1 || sum.Samples[SamplePort][0] != "443" {
		t.Errorf("samples = %v", sum.Samples)
	}
}

func TestCertificateExemptsAndCloses(t *testing.T) {
	s := newMiniStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := s.Apply(ctx, t0, []Event{ev("d1", 1, t0, "1")}); err != nil {
		t.Fatal(err)
	}
	ok, err := s.Open(ctx, "", hashA, "id-1", t0, []string{"d1"})
	if err != nil || !ok {
		t.Fatalf("Open = %v, %v", ok, err)
	}
	signed, err := s.MarkSigned(ctx, t0, []CertRow{{SHA1: hashA, Time: t0.Add(20 * time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	if signed[0].Action != SignClose {
		t.Errorf("action = %q, want close", signed[0].Action)
	}
	// Until Closed is called, the close is handed out again on a re-read.
	again, _ := s.MarkSigned(ctx, t0, []CertRow{{SHA1: hashA, Time: t0.Add(20 * time.Minute)}})
	if again[0].Action != SignClose {
		t.Errorf("second action = %q, want close", again[0].Action)
	}
	if ok, err := s.Closed(ctx, "", hashA); err != nil || !ok {
		t.Fatalf("Closed = %v, %v", ok, err)
	}
	got, err := s.Apply(ctx, t0, []Event{ev("d2", 2, t0.Add(time.Hour), "2")})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Outcome != Exempt {
		t.Errorf("outcome after certificate = %v, want Exempt", got[0].Outcome)
	}
}

func TestWindowSlides(t *testing.T) {
	s := newMiniStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	later := t0.Add(31 * 24 * time.Hour)
	if _, err := s.Apply(ctx, t0, []Event{ev("d1", 1, t0, "1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, later, []Event{ev("d2", 2, later, "2")}); err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx, later, "", hashA)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count() != 1 || sum.Devices()[0] != "d2" {
		t.Errorf("after 31 days: count %d, devices %v", sum.Count(), sum.Devices())
	}
}

func TestPendingClaimLease(t *testing.T) {
	s := newMiniStore(t)
	ctx := context.Background()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := s.Schedule(ctx, []Due{{SHA1: hashA, At: t0}}); err != nil {
		t.Fatal(err)
	}
	// Scheduling again keeps the first due time.
	if err := s.Schedule(ctx, []Due{{SHA1: hashA, At: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, t0, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].SHA1 != hashA {
		t.Fatalf("Claim = %v, %v", got, err)
	}
	if again, _ := s.Claim(ctx, t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed twice inside the lease: %v", again)
	}
	if again, _ := s.Claim(ctx, t0.Add(2*time.Minute), time.Minute, 10); len(again) != 1 {
		t.Errorf("not handed out again after the lease: %v", again)
	}
	if err := s.Done(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingCount(ctx); n != 0 {
		t.Errorf("pending after Done = %d", n)
	}
}

// A field holding the separator keeps the others in their places.
func TestGroupRoundTrip(t *testing.T) {
	g := Group{DeviceID: "dev\x1fX", DeviceName: "host", FolderPath: `c:\a` + "\x1f" + `b\x.exe`,
		FileName: "x.exe", SHA256: "ab"}
	got := ParseGroup(g.String())
	want := Group{DeviceID: "dev\uFFFDX", DeviceName: "host", FolderPath: `c:\a` + "\uFFFD" + `b\x.exe`,
		FileName: "x.exe", SHA256: "ab"}
	if got != want {
		t.Errorf("round trip: %+v, want %+v", got, want)
	}
	plain := Group{DeviceID: "d1", DeviceName: "host", FolderPath: `c:\x.exe`, FileName: "x.exe"}
	if got := ParseGroup(plain.String()); got != plain {
		t.Errorf("round trip: %+v, want %+v", got, plain)
	}
}
