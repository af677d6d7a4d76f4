package sinks

import (
	"context"
	"fmt"
	"io"
)

// WriterSink writes each alert as one line of JSON, in the sink's form, to
// a writer: stdout in the demo, or a file opened by OpenFileSink. Lines are
// never interleaved: a batch is written with a single Write under a mutex,
// so WriterSink is safe for concurrent use. The output is valid UTF-8.
type WriterSink struct {
	lines lines
	form  Form
}

// NewWriterSink returns a sink that writes the flarewatch form to w.
// Publish counts a batch as acknowledged once w.Write has returned without
// error; Close does not close w.
func NewWriterSink(w io.Writer) *WriterSink {
	return &WriterSink{lines: lines{w: w}, form: FormFlarewatch}
}

// NewWriterSinkForm is NewWriterSink writing the documents of form; "" is
// FormFlarewatch. An unknown form is an error.
func NewWriterSinkForm(w io.Writer, form Form) (*WriterSink, error) {
	f, err := ParseForm(string(form))
	if err != nil {
		return nil, fmt.Errorf("writer sink: %w", err)
	}
	return &WriterSink{lines: lines{w: w}, form: f}, nil
}

// OpenFileSink opens path for appending, creating it if needed, and returns a
// sink that writes the flarewatch form to it. Each Publish syncs the file to
// disk before it returns nil; Close syncs and closes the file.
func OpenFileSink(path string) (*WriterSink, error) {
	return OpenFileSinkForm(path, FormFlarewatch)
}

// OpenFileSinkForm is OpenFileSink writing the documents of form; "" is
// FormFlarewatch. An unknown form is an error, and leaves path alone.
func OpenFileSinkForm(path string, form Form) (*WriterSink, error) {
	fm, err := ParseForm(string(form))
	if err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &WriterSink{lines: lines{w: f, file: f}, form: fm}, nil
}

// Publish writes one line per alert. It implements Sink.
func (s *WriterSink) Publish(ctx context.Context, alerts []Alert) error {
	return s.lines.write(ctx, len(alerts), func(dst []byte, i int) ([]byte, error) {
		return appendForm(dst, &alerts[i], s.form)
	})
}

// Close syncs and closes the file the sink opened; for a sink made by
// NewWriterSink it only marks the sink closed. It implements Sink.
func (s *WriterSink) Close(context.Context) error {
	return s.lines.close()
}
