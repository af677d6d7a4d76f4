package sinks

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrRefused is wrapped by the error of a request the destination refused
// for good: an HTTP 4xx other than 408 and 429, or a document larger than
// the destination takes. An HTTP sink writes such alerts to its
// DeadLetterAlerts and carries on; without one, Publish returns the error.
var ErrRefused = errors.New("refused by the destination")

// ErrRetryBudget is wrapped by Publish's error when the destination kept
// failing (429, 5xx, 408, network errors) until the retry budget ran out.
// The caller keeps its offsets and publishes the batch again later.
var ErrRetryBudget = errors.New("retry budget exhausted")

// StatusError is a destination's answer other than success.
type StatusError struct {
	Sink       string        // the sink's name: webhook, splunk_hec, sentinel
	Status     int           // the HTTP status
	Detail     string        // the start of the response body
	RetryAfter time.Duration // the Retry-After header, 0 when absent
}

// Error implements error.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: http %d %s", e.Sink, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Permanent reports whether sending the same request again cannot succeed:
// a 4xx other than 408 Request Timeout and 429 Too Many Requests.
func (e *StatusError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Is makes a permanent StatusError match ErrRefused.
func (e *StatusError) Is(target error) bool {
	return target == ErrRefused && e.Permanent()
}

// Retry bounds the retries of one Publish of an HTTP sink. Zero fields take
// their defaults.
type Retry struct {
	// Initial is the pause after the first failed attempt; it doubles after
	// each further failure, with jitter. Default 500ms.
	Initial time.Duration
	// Max caps the doubling. A Retry-After the destination asks for is
	// honoured even when longer, as long as it fits the budget. Default 30s.
	Max time.Duration
	// Budget is the longest one Publish spends on a destination, attempts
	// and pauses included. When the next attempt would start after it,
	// Publish returns an error wrapping ErrRetryBudget. Default 1m.
	Budget time.Duration
}

// withDefaults fills the zero fields of r.
func (r Retry) withDefaults() Retry {
	if r.Initial <= 0 {
		r.Initial = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	if r.Budget <= 0 {
		r.Budget = time.Minute
	}
	return r
}

// Stats counts what an HTTP sink did since it was made.
type Stats struct {
	Delivered    int64 // alerts the destination acknowledged
	Requests     int64 // HTTP requests sent to the destination, retries included
	Retries      int64 // failed attempts that were retried
	DeadLettered int64 // alerts refused for good and written to the DeadLetterAlerts
	Suppressed   int64 // updates a Throttle in front of the sink dropped
}
