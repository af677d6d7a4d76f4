package sinks

import (
	"context"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DeadLetter is an input message that could not be decoded, with where it
// came from and why.
//
// For a whole message, Value, Key and Headers are the message's own and
// Record is -1. For one bad record inside an otherwise good envelope (an
// unparseable Timestamp, say), Value is that record's raw JSON and Record its
// index in the envelope's records array.
type DeadLetter struct {
	Topic     string
	Partition int32
	Offset    int64
	Reason    string
	Value     []byte
	Key       []byte
	Headers   []kgo.RecordHeader
	Record    int
}

// WholeMessage is the Record index of a dead letter that stands for the whole
// input message.
const WholeMessage = -1

// DeadLetterSink is a destination for input that could not be decoded.
//
// Send follows the acknowledgement contract of Sink.Publish: nil only when
// every letter is durable at the destination, so that the caller may commit
// past the bad input; on an error some letters may have been delivered and
// the caller sends the whole batch again later. Send of an empty batch
// returns nil. Send is called from several partition workers at once:
// implementations must be safe for concurrent use.
type DeadLetterSink interface {
	Send(ctx context.Context, letters []DeadLetter) error
}

// deadLetterLine is the JSON line WriterDeadLetters writes.
type deadLetterLine struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Record    int    `json:"record"`
	Reason    string `json:"reason"`
	Value     []byte `json:"value_base64"`
}

// WriterDeadLetters writes each dead letter as one JSON line:
// {"topic","partition","offset","record","reason","value_base64"}, the value
// base64-encoded so that its bytes survive exactly. It is meant for the demo
// and for file mode; it is safe for concurrent use.
type WriterDeadLetters struct {
	lines lines
}

// NewWriterDeadLetters returns a dead-letter sink that writes to w. A batch
// counts as delivered once w.Write has returned without error.
func NewWriterDeadLetters(w io.Writer) *WriterDeadLetters {
	return &WriterDeadLetters{lines: lines{w: w}}
}

// OpenFileDeadLetters opens path for appending, creating it if needed, and
// returns a dead-letter sink that writes to it, syncing after every batch.
func OpenFileDeadLetters(path string) (*WriterDeadLetters, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &WriterDeadLetters{lines: lines{w: f, file: f}}, nil
}

// Send writes one line per letter. It implements DeadLetterSink.
func (s *WriterDeadLetters) Send(ctx context.Context, letters []DeadLetter) error {
	return s.lines.write(ctx, len(letters), func(dst []byte, i int) ([]byte, error) {
		d := &letters[i]
		return appendJSON(dst, deadLetterLine{
			Topic:     d.Topic,
			Partition: d.Partition,
			Offset:    d.Offset,
			Record:    d.Record,
			Reason:    d.Reason,
			Value:     d.Value,
		})
	})
}

// Close syncs and closes the file the sink opened; for a sink made by
// NewWriterDeadLetters it only marks the sink closed.
func (s *WriterDeadLetters) Close(context.Context) error {
	return s.lines.close()
}
