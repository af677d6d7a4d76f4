package main

import (
	"fmt"
	"os"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
)

// alertSinks builds the alert sinks cfg turns on, each writing its form:
// the Kafka alert topic, stdout, the file, then the HTTP sinks. Every sink
// but Kafka's, which borrows the service's client, is added to s.extra to
// be closed with the service, and the HTTP sinks' dead-letter file is kept
// in s.refused, so that a failure part way leaves nothing open.
func (s *service) alertSinks(cfg config.Config) ([]sinks.Sink, error) {
	form := sinks.Form(cfg.Sinks.Format)
	var out []sinks.Sink
	owned := func(sink sinks.Sink) {
		s.extra = append(s.extra, sink)
		out = append(out, sink)
	}
	if cfg.Sinks.Kafka {
		k, err := sinks.NewKafkaSinkForm(s.kafka, cfg.Kafka.AlertTopic, form)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if cfg.Sinks.Stdout {
		w, err := sinks.NewWriterSinkForm(os.Stdout, form)
		if err != nil {
			return nil, err
		}
		owned(w)
	}
	if cfg.Sinks.File != "" {
		f, err := sinks.OpenFileSinkForm(cfg.Sinks.File, form)
		if err != nil {
			return nil, err
		}
		owned(f)
	}
	web, err := s.httpSinks(cfg.Sinks)
	if err != nil {
		return nil, err
	}
	for _, w := range web {
		owned(w)
	}
	return out, nil
}

// httpSinks builds the HTTP sinks that are on, sharing one dead-letter
// file, each wrapped in a throttle when it has one.
func (s *service) httpSinks(c config.Sinks) ([]sinks.Sink, error) {
	if !c.HTTPOn() {
		return nil, nil
	}
	refused, err := sinks.OpenFileDeadLetterAlerts(c.DeadLetterFile)
	if err != nil {
		return nil, fmt.Errorf("sinks.dead_letter_file: %w", err)
	}
	s.refused = refused

	var out []sinks.Sink
	if w := c.Webhook; w.On() {
		header := w.AuthHeader
		if w.AuthValue == "" {
			header = "" // an empty value would be sent as an empty header
		}
		sink, err := sinks.NewWebhookSink(sinks.WebhookConfig{URL: w.URL, AuthHeader: header,
			AuthValue: w.AuthValue.Reveal(), NDJSON: w.NDJSON, Form: sinks.Form(c.FormOf(w.Form)),
			MaxBatch: w.MaxBatch, MaxBytes: w.MaxBytes, Retry: retry(w.Retry),
			DeadLetters: refused, Log: s.log})
		if err != nil {
			return nil, fmt.Errorf("sinks.webhook: %w", err)
		}
		out = append(out, throttled(sink, w.Throttle))
	}
	if h := c.SplunkHEC; h.On() {
		sink, err := sinks.NewSplunkHECSink(sinks.SplunkHECConfig{URL: h.URL,
			Token: h.Token.Reveal(), Index: h.Index, Channel: h.Channel,
			Form: sinks.Form(c.FormOf(h.Form)), MaxBytes: h.MaxBytes, Retry: retry(h.Retry),
			DeadLetters: refused, Log: s.log})
		if err != nil {
			return nil, fmt.Errorf("sinks.splunk_hec: %w", err)
		}
		out = append(out, throttled(sink, h.Throttle))
	}
	if a := c.Sentinel; a.On() {
		sink, err := sinks.NewSentinelSink(sinks.SentinelConfig{Endpoint: a.Endpoint,
			DCRImmutableID: a.DCRImmutableID, Stream: a.Stream, TenantID: a.TenantID,
			ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(),
			TokenURL: a.TokenEndpoint(), Scope: a.Scope, Form: sinks.Form(c.FormOf(a.Form)),
			MaxBytes: a.MaxBytes, Retry: retry(a.Retry), DeadLetters: refused, Log: s.log})
		if err != nil {
			return nil, fmt.Errorf("sinks.sentinel: %w", err)
		}
		out = append(out, throttled(sink, a.Throttle))
	}
	var observed []sinks.HTTPSink
	for _, sink := range out {
		if h, ok := sink.(sinks.HTTPSink); ok { // an HTTP sink, or a throttle in front of one
			observed = append(observed, h)
		}
	}
	if err := sinks.ObserveHTTP(nil, observed...); err != nil {
		return nil, fmt.Errorf("sink metrics: %w", err)
	}
	return out, nil
}

// retry converts a sink's retry settings.
func retry(r config.Retry) sinks.Retry {
	return sinks.Retry{Initial: r.Initial.Std(), Max: r.Max.Std(), Budget: r.Budget.Std()}
}

// throttled wraps sink in a throttle of interval every, or returns it as it
// is when every is zero.
func throttled(sink sinks.Sink, every config.Duration) sinks.Sink {
	if every <= 0 {
		return sink
	}
	return sinks.NewThrottle(sink, every.Std())
}
