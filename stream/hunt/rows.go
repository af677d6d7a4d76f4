package hunt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// Row is one row of the result: one (DeviceName, folder path, file name) of
// a hash, with the hash's totals. The JSON keys are the query's column
// names.
type Row struct {
	// SHA1 is the hash. SHA256 is the group's InitiatingProcessSHA256:
	// under KQLParity part of the group's key, "" when null or absent;
	// under Default the least non-empty one seen with the hash, or "".
	SHA1   string `json:"SHA1"`
	SHA256 string `json:"SHA256"`

	DeviceName                  string `json:"DeviceName"`
	InitiatingProcessFolderPath string `json:"InitiatingProcessFolderPath"`
	InitiatingProcessFileName   string `json:"InitiatingProcessFileName"`

	// Count is the number of events of the hash's group and Devices the
	// number of distinct DeviceIds among them; every row of the group
	// carries the same two.
	Count   int64 `json:"Count"`
	Devices int   `json:"Devices"`

	// SignatureState and GlobalPrevalence are the FileProfile answer.
	// Without one (Default only), SignatureState is "Unknown" and
	// GlobalPrevalence is null.
	SignatureState   string `json:"SignatureState"`
	GlobalPrevalence *int64 `json:"GlobalPrevalence"`
}

// ErrTooManyGroups is the query's assert(count <= 1000, "Too many matches
// for FileProfile"): under KQLParity, more groups than Options.MaxGroups
// remain after the certificate exemption. Rows wraps it with the numbers.
var ErrTooManyGroups = errors.New(`assertion failed: "Too many matches for FileProfile"`)

// UnknownState is the SignatureState of a Default row whose hash has no
// FileProfile answer.
const UnknownState = "Unknown"

// lookupBatch is the most hashes asked of the provider at once, as the
// query's FileProfile(..., 1000) does.
const lookupBatch = 1000

// group is a row of the query's second summarize: one (SHA256, SHA1) under
// KQLParity, one SHA1 under Default.
type group struct {
	sha256, sha1 string
	count        int64
	devices      map[string]struct{}
	items        []item // the make_list columns, one item a first-summarize row
}

// item is element i of the three lists make_list builds; the lists are
// built from the same rows, so their elements line up.
type item struct{ deviceName, folderPath, fileName string }

// Rows evaluates the rest of the query over what was added: the
// certificate exemption, the grouping by hash, the size guard, the
// FileProfile look-up and filter, the expansion, and the order: Count
// descending, then SHA1, SHA256, DeviceName, folder path and file name, in
// byte order. The only error besides ErrTooManyGroups is the provider's,
// wrapped. Rows may be called more than once.
func (h *Hunt) Rows(ctx context.Context) ([]Row, error) {
	groups := h.groups()
	if h.o.Profile == rule.KQLParity && h.o.MaxGroups >= 0 && len(groups) > h.o.MaxGroups {
		return nil, fmt.Errorf("%w: %d groups of (SHA256, SHA1) after the certificate "+
			"exemption, more than %d", ErrTooManyGroups, len(groups), h.o.MaxGroups)
	}
	profiles, err := h.lookup(ctx, groups)
	if err != nil {
		return nil, err
	}

	var rows []Row
	for _, g := range groups {
		p := profiles[g.sha1]
		if !h.rule.Qualifies(p, h.o.MaxPrevalence) {
			continue
		}
		state, prevalence := UnknownState, (*int64)(nil)
		if p.Known {
			state, prevalence = p.SignatureState, &p.GlobalPrevalence
		}
		for _, it := range g.items {
			rows = append(rows, Row{SHA1: g.sha1, SHA256: g.sha256, DeviceName: it.deviceName,
				InitiatingProcessFolderPath: it.folderPath, InitiatingProcessFileName: it.fileName,
				Count: g.count, Devices: len(g.devices), SignatureState: state,
				GlobalPrevalence: prevalence})
		}
	}
	slices.SortFunc(rows, compareRows)
	return rows, nil
}

// groups applies the certificate exemption (the leftanti join) to the rows
// of the first summarize and folds the rest by hash. The groups come sorted
// by SHA1 and SHA256.
func (h *Hunt) groups() []*group {
	byKey := map[[2]string]*group{}
	for k, n := range h.counts {
		if _, signed := h.certs[k.SHA1]; signed {
			continue
		}
		g := byKey[[2]string{k.SHA256, k.SHA1}]
		if g == nil {
			g = &group{sha256: k.SHA256, sha1: k.SHA1, devices: map[string]struct{}{}}
			if h.o.Profile == rule.Default {
				g.sha256 = h.sha256[k.SHA1]
			}
			byKey[[2]string{k.SHA256, k.SHA1}] = g
		}
		g.count += n
		g.devices[k.DeviceID] = struct{}{}
		g.items = append(g.items, item{k.DeviceName, k.FolderPath, k.FileName})
	}

	out := make([]*group, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.sha1, b.sha1), cmp.Compare(a.sha256, b.sha256))
	})
	return out
}

// lookup asks the provider for the profiles of the groups' hashes. The
// empty hash has no profile and is not asked for.
func (h *Hunt) lookup(ctx context.Context, groups []*group) (map[string]enrich.Profile, error) {
	var hashes []string
	for i, g := range groups {
		if g.sha1 != "" && (i == 0 || groups[i-1].sha1 != g.sha1) {
			hashes = append(hashes, g.sha1)
		}
	}
	out := make(map[string]enrich.Profile, len(hashes))
	for len(hashes) > 0 {
		batch := hashes[:min(len(hashes), lookupBatch)]
		hashes = hashes[len(batch):]
		got, err := h.o.Provider.Lookup(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("FileProfile look-up (%s): %w", h.o.Provider.Name(), err)
		}
		for k, p := range got {
			out[k] = p
		}
	}
	return out, nil
}

// compareRows orders rows by Count descending, then by the tie-break.
func compareRows(a, b Row) int {
	return cmp.Or(
		cmp.Compare(b.Count, a.Count),
		cmp.Compare(a.SHA1, b.SHA1),
		cmp.Compare(a.SHA256, b.SHA256),
		cmp.Compare(a.DeviceName, b.DeviceName),
		cmp.Compare(a.InitiatingProcessFolderPath, b.InitiatingProcessFolderPath),
		cmp.Compare(a.InitiatingProcessFileName, b.InitiatingProcessFileName),
	)
}
