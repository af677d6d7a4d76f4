package main

import (
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"sort"
	"time"

	"github.com/flarewatch/flarewatch/sinks"
)

//go:embed replay_report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// reportData is what the report page shows.
type reportData struct {
	From, To  time.Time
	Namespace string
	Took      time.Duration
	Rate      int64
	Stages    []stage
	Days      []bar
	MaxDay    int
	Width     int
	Hashes    []ranked
	Devices   []ranked
}

type stage struct {
	Name  string
	Count int64
}

type bar struct {
	Day    string
	Count  int
	Height int // in pixels, of the chart's 160
	X, Y   int
}

type ranked struct {
	Name  string
	Count int64
	Extra string
}

// writeReport writes a self-contained HTML page: alerts per day, the top
// hashes and devices, and the counts at each stage of the rule.
func writeReport(path string, c *replayCmd, r *replayResult) error {
	s := r.stats
	d := reportData{
		From: c.From, To: c.To, Namespace: r.namespace, Took: r.took.Round(time.Millisecond),
		Rate: int64(float64(s.Records) / max(r.took.Seconds(), 1e-9)),
		Stages: []stage{{"records read", s.Records}, {"network events", s.Network},
			{"certificate rows", s.Certs}, {"candidates", s.Candidates}, {"exempted (signed)", s.Exempted},
			{"counted", s.Counted}, {"enriched", s.Enriched}, {"alerted (create)", s.Created},
			{"updates", s.Updated}, {"closes", s.Closed}, {"dead letters", s.DeadLetters}},
	}
	d.Days, d.MaxDay = alertsPerDay(r.alerts)
	d.Width = max(400, 60+28*len(d.Days))
	d.Hashes, d.Devices = topHashes(r.alerts), topDevices(r.alerts)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := reportTemplate.Execute(f, d); err != nil {
		f.Close()
		return fmt.Errorf("report: %w", err)
	}
	return f.Close()
}

func alertsPerDay(alerts []sinks.Alert) ([]bar, int) {
	per := map[string]int{}
	for _, a := range alerts {
		if a.Activity == sinks.ActivityCreate {
			per[a.FirstSeen.UTC().Format("2006-01-02")]++
		}
	}
	days := make([]string, 0, len(per))
	for d := range per {
		days = append(days, d)
	}
	sort.Strings(days)
	most := 1
	for _, n := range per {
		most = max(most, n)
	}
	out := make([]bar, len(days))
	for i, d := range days {
		h := 160 * per[d] / most
		out[i] = bar{Day: d, Count: per[d], Height: h, X: 40 + i*28, Y: 180 - h}
	}
	return out, most
}

func topHashes(alerts []sinks.Alert) []ranked {
	latest := map[string]sinks.Alert{}
	for _, a := range alerts {
		latest[a.SHA1] = a
	}
	var out []ranked
	for h, a := range latest {
		out = append(out, ranked{Name: h, Count: a.Count, Extra: fmt.Sprintf("%d devices, %s", a.Devices, a.Activity)})
	}
	return top(out, 10)
}

func topDevices(alerts []sinks.Alert) []ranked {
	per := map[string]int64{}
	names := map[string]string{}
	for _, a := range alerts {
		for _, h := range a.Hosts {
			per[h.ID] = max(per[h.ID], h.Count)
			names[h.ID] = h.Name
		}
	}
	var out []ranked
	for id, n := range per {
		out = append(out, ranked{Name: names[id], Count: n, Extra: id})
	}
	return top(out, 10)
}

func top(list []ranked, n int) []ranked {
	sort.Slice(list, func(i, j int) bool {
		if list[i].Count != list[j].Count {
			return list[i].Count > list[j].Count
		}
		return list[i].Name < list[j].Name
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}
