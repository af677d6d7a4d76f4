package config

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// BundledVersion is the Version of BundledCloudflare: the date of the
// published lists it copies.
const BundledVersion = "cloudflare-bundled-2026-10-14"

//go:embed ranges/cloudflare.json
var bundledJSON []byte

var bundled = sync.OnceValue(func() *RangeSet {
	set, _, err := rangesFromJSON(BundledVersion, bundledJSON)
	if err != nil {
		panic("config: bundled Cloudflare ranges: " + err.Error())
	}
	return set
})

// BundledCloudflare returns Cloudflare's published ranges as built into
// the binary: the 15 IPv4 ranges of the hunting query and 7 IPv6 ranges.
// Every call returns the same set.
func BundledCloudflare() *RangeSet { return bundled() }

// LoadRangesFile reads a range list from a file in one of two forms:
//
//   - JSON in Cloudflare's shape, {"ipv4_cidrs": [...], "ipv6_cidrs": [...]},
//     or its API's, {"result": {"ipv4_cidrs": ..., "ipv6_cidrs": ...,
//     "etag": "..."}};
//   - text, one CIDR a line; blank lines and "#" comments are skipped.
//
// The Version is "cloudflare-etag-" and the etag when the file has one,
// otherwise the file's name and the start of its SHA-256.
func LoadRangesFile(path string) (*RangeSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read range list: %w", err)
	}
	sum := sha256.Sum256(data)
	version := filepath.Base(path) + "@sha256:" + hex.EncodeToString(sum[:6])

	var set *RangeSet
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		var etag string
		set, etag, err = rangesFromJSON(version, data)
		if etag != "" && err == nil {
			set.Version = "cloudflare-etag-" + etag
		}
	} else {
		set, err = rangesFromText(version, data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}

// cloudflareLists is the part of Cloudflare's range JSON that is read.
type cloudflareLists struct {
	IPv4 []string `json:"ipv4_cidrs"`
	IPv6 []string `json:"ipv6_cidrs"`
	Etag string   `json:"etag"`
}

// rangesFromJSON reads Cloudflare's file or API shape and returns the etag,
// if any, beside the set.
func rangesFromJSON(version string, data []byte) (*RangeSet, string, error) {
	var doc struct {
		cloudflareLists
		Result *cloudflareLists `json:"result"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, "", fmt.Errorf("not a Cloudflare range list: %w", err)
	}
	lists := doc.cloudflareLists
	if doc.Result != nil {
		lists = *doc.Result
	}

	v4, err := parsePrefixes(lists.IPv4)
	if err != nil {
		return nil, "", fmt.Errorf("ipv4_cidrs: %w", err)
	}
	v6, err := parsePrefixes(lists.IPv6)
	if err != nil {
		return nil, "", fmt.Errorf("ipv6_cidrs: %w", err)
	}
	if len(v4)+len(v6) == 0 {
		return nil, "", ErrNoRanges
	}
	return newRangeSet(version, append(v4, v6...)), lists.Etag, nil
}

// rangesFromText reads one CIDR a line.
func rangesFromText(version string, data []byte) (*RangeSet, error) {
	var cidrs []string
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			cidrs = append(cidrs, line)
			lines = append(lines, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}

	prefixes, err := parsePrefixes(cidrs)
	if err != nil {
		var re *RangeError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("line %d: %w", lines[re.Index], err)
		}
		return nil, err
	}
	if len(prefixes) == 0 {
		return nil, ErrNoRanges
	}
	return newRangeSet(version, prefixes), nil
}
