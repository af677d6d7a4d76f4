package enrich

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// requiredCSV are the columns a CSV header must name.
var requiredCSV = []string{ColSHA1, ColSignatureState, ColGlobalPrevalence}

// parseCSV reads a CSV file of FileProfile rows with a header.
func parseCSV(name string, b []byte) (map[string]Profile, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.ReuseRecord = true
	r.TrimLeadingSpace = true

	// The header maps each column read to its index.
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("%w: no header", ErrMissingColumn)}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	index := make(map[string]int, len(columns))
	for i, h := range header {
		c := column(h)
		if c == "" {
			continue
		}
		if _, dup := index[c]; dup {
			return nil, &ParseError{File: name, Line: 1, Column: c,
				Err: fmt.Errorf("%w: column named twice", ErrBadValue)}
		}
		index[c] = i
	}
	for _, c := range requiredCSV {
		if _, ok := index[c]; !ok {
			return nil, &ParseError{File: name, Line: 1, Column: c, Err: ErrMissingColumn}
		}
	}

	// Rows; the reader checks that each has as many fields as the header.
	profiles := make(map[string]Profile)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return profiles, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		rw := make(row, len(index))
		for c, i := range index {
			rw[c] = field{text: rec[i], line: line}
		}
		p, ok, err := rw.profile(name, line)
		if err != nil {
			return nil, err
		}
		if ok {
			profiles[p.SHA1] = p
		}
	}
}

// csvError turns an error of the CSV reader into a ParseError with its line.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line, Err: fmt.Errorf("%w: %w", ErrBadValue, pe.Err)}
	}
	return &ParseError{File: name, Err: err}
}
