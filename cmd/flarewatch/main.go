// Command flarewatch watches Microsoft Defender for Endpoint streaming events
// in Kafka and raises an alert, within seconds, when an unsigned, globally
// rare binary running as the System account connects to a Cloudflare
// address.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

// cli is the command line; each command is its own type with a Run method.
type cli struct {
	Run   runCmd   `cmd:"" help:"Run the service."`
	Demo  demoCmd  `cmd:"" help:"Run the whole pipeline in one process on embedded Kafka and Redis."`
	Check checkCmd `cmd:"" help:"Validate a configuration and print the effective one, secrets redacted."`

	Hunt   huntCmd   `cmd:"" help:"Evaluate the rule over a file of streaming messages, as the hunting query would."`
	Gen    genCmd    `cmd:"" help:"Write realistic synthetic MDE traffic to a file or a topic."`
	Replay replayCmd `cmd:"" help:"Backtest: replay a topic's history by event time in an isolated namespace."`
	Bench  benchCmd  `cmd:"" help:"Measure end-to-end throughput and latency against the configured Kafka and Redis."`
}

func main() {
	var c cli
	k := kong.Parse(&c,
		kong.Name("flarewatch"),
		kong.Description("Streaming detection of unsigned, rare System binaries talking to Cloudflare."),
		kong.UsageOnError(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	k.BindTo(ctx, (*context.Context)(nil))
	if err := k.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "flarewatch %s: %v\n", k.Command(), err)
		os.Exit(1)
	}
}

// newLogger returns the process logger: JSON or text on stderr.
func newLogger(level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
