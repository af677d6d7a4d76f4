package gen

import (
	"bufio"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
)

// WriteMessages writes the messages to w, one a line (NDJSON), the input
// format of the hunt command and of the topic loader.
func (d Dataset) WriteMessages(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, m := range d.Messages {
		if _, err := bw.Write(m); err != nil {
			return err
		}
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteProfiles writes the profiles as CSV with the FileProfile column
// names, header SHA1,SHA256,SignatureState,GlobalPrevalence, ordered by
// SHA1: the input of the file FileProfile provider.
func (d Dataset) WriteProfiles(w io.Writer) error {
	keys := make([]string, 0, len(d.Profiles))
	for k := range d.Profiles {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"SHA1", "SHA256", "SignatureState", "GlobalPrevalence"}); err != nil {
		return err
	}
	for _, k := range keys {
		p := d.Profiles[k]
		row := []string{p.SHA1, p.SHA256, p.SignatureState, strconv.FormatInt(p.GlobalPrevalence, 10)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
