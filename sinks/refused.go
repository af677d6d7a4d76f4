package sinks

import (
	"context"
	"errors"
	"io"
	"time"
)

// DeadLetterAlerts keeps the alerts a destination refused for good (an HTTP
// 4xx other than 408 and 429, or a document too large for it), so that the
// pipeline is not stuck on them and nothing is lost. Each alert is one JSON
// line:
//
//	{"sink":"splunk_hec","refused_at":"…","status":400,"reason":"…","alert":{…}}
//
// The alert is always in the flarewatch form, whatever form the sink sends,
// so that a line can be replayed to any sink once the cause is fixed. Several
// sinks may share one DeadLetterAlerts: it is safe for concurrent use, and a
// batch of lines is written with one Write.
type DeadLetterAlerts struct {
	lines lines
	now   func() time.Time
}

// refusedLine is one line of DeadLetterAlerts.
type refusedLine struct {
	Sink      string    `json:"sink"`
	RefusedAt time.Time `json:"refused_at"`
	Status    int       `json:"status,omitempty"`
	Reason    string    `json:"reason"`
	Alert     *Alert    `json:"alert"`
}

// NewDeadLetterAlerts returns a DeadLetterAlerts that writes to w. A batch
// counts as kept once w.Write has returned without error.
func NewDeadLetterAlerts(w io.Writer) *DeadLetterAlerts {
	return &DeadLetterAlerts{lines: lines{w: w}, now: time.Now}
}

// OpenFileDeadLetterAlerts opens path for appending, creating it if needed,
// and returns a DeadLetterAlerts that writes to it, syncing after every
// batch.
func OpenFileDeadLetterAlerts(path string) (*DeadLetterAlerts, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &DeadLetterAlerts{lines: lines{w: f, file: f}, now: time.Now}, nil
}

// write appends one line per alert, naming the sink and the refusal.
func (d *DeadLetterAlerts) write(ctx context.Context, sink string, cause error, alerts []Alert) error {
	at := d.now().UTC()
	status := 0
	var se *StatusError
	if errors.As(cause, &se) {
		status = se.Status
	}
	return d.lines.write(ctx, len(alerts), func(dst []byte, i int) ([]byte, error) {
		return appendJSON(dst, refusedLine{Sink: sink, RefusedAt: at, Status: status,
			Reason: cause.Error(), Alert: &alerts[i]})
	})
}

// Close syncs and closes the file OpenFileDeadLetterAlerts opened; for one
// made by NewDeadLetterAlerts it only marks it closed. Close it after every
// sink that writes to it.
func (d *DeadLetterAlerts) Close(context.Context) error {
	return d.lines.close()
}
