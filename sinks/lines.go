package sinks

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// lines writes batches of JSON lines to one writer, a batch at a time. It is
// the shared core of WriterSink and WriterDeadLetters.
type lines struct {
	mu     sync.Mutex
	w      io.Writer
	file   *os.File // set when the sink opened the file: synced after each batch, closed on close
	torn   bool     // a write failed part way: the next batch starts on a fresh line
	closed bool
	buf    []byte
}

// openAppend opens path for appending, creating it with mode 0o640.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open sink file: %w", err)
	}
	return f, nil
}

// appendFunc appends the JSON of the i-th document of a batch to dst.
type appendFunc func(dst []byte, i int) ([]byte, error)

// write encodes n documents, each by calling add with the buffer to append
// to, and writes them as one batch of lines. For a file the batch is synced
// to disk before write returns.
func (l *lines) write(ctx context.Context, n int, add appendFunc) error {
	if n == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}

	// Encode the whole batch first, so that an encoding error writes nothing.
	b := l.buf[:0]
	if l.torn {
		b = append(b, '\n')
	}
	for i := range n {
		var err error
		if b, err = add(b, i); err != nil {
			return err
		}
		b = append(b, '\n')
	}
	l.buf = b

	if _, err := l.w.Write(b); err != nil {
		l.torn = true
		return fmt.Errorf("write lines: %w", err)
	}
	l.torn = false
	if l.file != nil {
		if err := l.file.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", l.file.Name(), err)
		}
	}
	return nil
}

// close syncs and closes the file the sink opened, if any. A second close
// returns nil.
func (l *lines) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.file == nil {
		return nil
	}
	syncErr := l.file.Sync()
	closeErr := l.file.Close()
	if syncErr != nil {
		return fmt.Errorf("sync %s: %w", l.file.Name(), syncErr)
	}
	if closeErr != nil {
		return fmt.Errorf("close %s: %w", l.file.Name(), closeErr)
	}
	return nil
}
