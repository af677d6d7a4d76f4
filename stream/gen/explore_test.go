package gen

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	t0 := time.Now()
	d := Generate(Options{Seed: 7, Records: 100000, Traps: true})
	fmt.Println("took", time.Since(t0), "msgs", len(d.Messages), "records", d.Records, "dups", d.Duplicates)
	total := 0
	for _, m := range d.Messages {
		total += len(m)
	}
	fmt.Println("avg", total/d.Records)
	fmt.Println(d.Planted, d.LocalizedSystem, d.IPv6Only)
	fmt.Println(d.Traps)
	fmt.Println(d.Counts)
	fmt.Println(len(d.Profiles))
	f, _ := os.Create("/tmp/gen.ndjson")
	d.WriteMessages(f)
	f.Close()
	f, _ = os.Create("/tmp/gen.csv")
	d.WriteProfiles(f)
	f.Close()
}
