package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/state"
)

// report prints the machine, the parameters and the measures as Markdown.
func (c *benchCmd) report(w io.Writer, backend string, plan *benchPlan, r *benchResult) {
	fmt.Fprintf(w, "machine: %d CPUs, %s/%s, %s, load average %s before, %s after; %s\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), r.loadBefore,
		benchLoad(), backend)
	if l, err := strconv.ParseFloat(r.loadBefore, 64); err == nil && l > float64(runtime.NumCPU()) {
		fmt.Fprintf(w, "warning: the load average (%s) was above the CPU count when the run began: "+
			"other work competed for the cores, and these numbers say more about it than about flarewatch\n",
			r.loadBefore)
	}
	fmt.Fprintf(w, "parameters: --records %d --rate %d --duration %s --positives %d --partitions %d "+
		"--seed %d --preload=%t; rule.cert_grace 0, a scheduler pass every 1s, telemetry as run sets "+
		"it up without OTLP\n\n", c.Records, c.Rate, c.Duration, c.Positives, c.Partitions, c.Seed,
		c.Preload)
	mb := float64(r.bytes) / 1e6
	since := "the first produce"
	latency := fmt.Sprintf("**%s / %s / %s**", benchQuantile(r.latencies, 0.50),
		benchQuantile(r.latencies, 0.99), benchQuantile(r.latencies, 1))
	if r.preloaded {
		since = "the first record decoded, the input produced before"
		latency = "not measured: the input was produced before the service started"
	}
	rows := [][2]string{
		{"produced", fmt.Sprintf("%d records in %d messages, %.1f MB, in %s (%.0f records/s)",
			r.produced, r.messages, mb, r.produceTook.Round(time.Millisecond),
			float64(r.produced)/r.produceTook.Seconds())},
		{"sustained", fmt.Sprintf("**%.0f records/s**, %.1f MB/s (%d records consumed and committed "+
			"%s after %s)", float64(r.processed)/r.processTook.Seconds(),
			mb*float64(r.processed)/float64(max(r.produced, 1))/r.processTook.Seconds(), r.processed,
			r.processTook.Round(time.Millisecond), since)},
		{"Redis commands per record", fmt.Sprintf("**%.4f** (%d commands)",
			float64(r.commands)/float64(max(r.processed, 1)), r.commands)},
		{"Redis commands by kind, per record", benchByCommand(r.byCommand, r.processed)},
		{"produce to alert, p50 / p99 / max", latency},
		{"planted positives alerted", fmt.Sprintf("%d of the %d produced (%d planted); "+
			"%d create alerts for other hashes", len(r.latencies), r.expected, plan.planted, r.others)},
	}
	fmt.Fprintf(w, "| measure | value |\n|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
}

// benchByCommand lists the commands by kind, most frequent first.
func benchByCommand(by map[string]int64, records int64) string {
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		if by[a] != by[b] {
			return int(by[b] - by[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %.4f", k, float64(by[k])/float64(max(records, 1)))
	}
	return strings.Join(parts, ", ")
}

// benchQuantile returns the q-quantile of sorted, by nearest rank.
func benchQuantile(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "n/a"
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)].Round(time.Millisecond).String()
}

// benchLoad returns the 1-minute load average where the system tells it:
// on a shared machine, what else ran weighs on every number.
func benchLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// benchCommands counts the Redis commands the service sends, one per
// command of a pipeline, by name; a script call is named by its script.
type benchCommands struct {
	mu     sync.Mutex
	byName map[string]int64
}

func newBenchCommands() *benchCommands { return &benchCommands{byName: map[string]int64{}} }

func (h *benchCommands) count(cmds ...redis.Cmder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cmds {
		name := c.Name()
		if args := c.Args(); (name == "evalsha" || name == "eval") && len(args) > 1 {
			if s, ok := args[1].(string); ok {
				name = "script " + state.ScriptName(s)
			}
		}
		h.byName[name]++
	}
}

// snapshot returns the counts so far.
func (h *benchCommands) snapshot() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int64, len(h.byName))
	for k, v := range h.byName {
		out[k] = v
	}
	return out
}

func (h *benchCommands) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *benchCommands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.count(cmd)
		return next(ctx, cmd)
	}
}

func (h *benchCommands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.count(cmds...)
		return next(ctx, cmds)
	}
}

// benchCommandsSince returns the commands sent between two snapshots, by
// name, and their total.
func benchCommandsSince(before, after map[string]int64) (map[string]int64, int64) {
	out := map[string]int64{}
	var total int64
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
			total += d
		}
	}
	return out, total
}
