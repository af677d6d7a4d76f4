package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/twmb/franz-go/pkg/kadm"
	"golang.org/x/term"

	"github.com/flarewatch/flarewatch/stream"
)

// progressEvery is how often progress is checked; logLines how often a
// progress line is logged when stderr is not a terminal.
const (
	progressEvery = 200 * time.Millisecond
	logLines      = 10 * time.Second
)

// watchReplay waits until the group has consumed the plan, showing a
// progress bar on a terminal and logging progress lines otherwise.
func watchReplay(ctx context.Context, adm *kadm.Client, group string, plan stream.ReplayPlan, timeout time.Duration) error {
	total := plan.Records()
	show := newProgress(total)
	deadline := time.Now().Add(timeout)
	for {
		done, finished, err := stream.ReplayProgress(ctx, adm, group, plan)
		if err == nil {
			show(done)
			if finished {
				show.finish()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("range not consumed within %s (%d of %d offsets)", timeout, done, total)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(progressEvery):
		}
	}
}

// progress shows how far a replay is.
type progress func(done int64)

func (p progress) finish() { p(-1) }

func newProgress(total int64) progress {
	if term.IsTerminal(int(os.Stderr.Fd())) {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("replay"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("records"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionFullWidth(),
		)
		return func(done int64) {
			if done < 0 {
				_ = bar.Finish()
				return
			}
			_ = bar.Set64(done)
		}
	}
	start, last := time.Now(), time.Time{}
	return func(done int64) {
		if done >= 0 && time.Since(last) < logLines {
			return
		}
		last = time.Now()
		if done < 0 {
			done = total
		}
		rate := float64(done) / max(time.Since(start).Seconds(), 1e-9)
		left := "unknown"
		if rate > 0 {
			left = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
		}
		slog.Info("replay progress", "offsets_done", done, "offsets_total", total,
			"share", fmt.Sprintf("%.1f%%", 100*float64(done)/float64(max(total, 1))),
			"offsets_per_second", int64(rate), "time_left", left)
	}
}
