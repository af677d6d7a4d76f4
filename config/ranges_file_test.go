package config

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadRangesFile(t *testing.T) {
	tests := []struct {
		name        string
		content     string
		want        []string
		wantVersion string // prefix
		wantErr     string
		wantIs      error
	}{
		{
			name:        "cloudflare file shape",
			content:     `{"ipv4_cidrs": ["104.16.0.0/13"], "ipv6_cidrs": ["2606:4700::/32"], "other": 1}`,
			want:        []string{"104.16.0.0/13", "2606:4700::/32"},
			wantVersion: "ranges@sha256:",
		},
		{
			name: "cloudflare API shape",
			content: `{"result": {"ipv4_cidrs": ["104.24.0.0/14"], "ipv6_cidrs": [],
				"etag": "38f79d050aa027e3be3865e495dcc9bc"}, "success": true, "errors": []}`,
			want:        []string{"104.24.0.0/14"},
			wantVersion: "cloudflare-etag-38f79d050aa027e3be3865e495dcc9bc",
		},
		{
			name:        "text with comments",
			content:     "# Cloudflare\n104.16.0.0/13\n\n  104.24.0.0/14  # since 2021\n2606:4700::/32\n",
			want:        []string{"104.16.0.0/13", "104.24.0.0/14", "2606:4700::/32"},
			wantVersion: "ranges@sha256:",
		},
		{
			name:    "text with a bad line",
			content: "# header\n104.16.0.0/13\n104.16.0.0/33\n",
			wantErr: `line 3: range entry 1 "104.16.0.0/33"`,
		},
		{
			name:    "json with a bad entry",
			content: `{"ipv4_cidrs": ["104.16.0.0/13"], "ipv6_cidrs": ["2606:4700::/32", "nonsense"]}`,
			wantErr: `ipv6_cidrs: range entry 1 "nonsense"`,
		},
		{name: "empty text", content: "# nothing\n\n", wantIs: ErrNoRanges},
		{name: "empty json", content: `{"result": {"ipv4_cidrs": []}}`, wantIs: ErrNoRanges},
		{name: "broken json", content: `{"ipv4_cidrs": [`, wantErr: "not a Cloudflare range list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ranges")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			set, err := LoadRangesFile(path)
			if tt.wantErr != "" || tt.wantIs != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
					!strings.Contains(err.Error(), path) {
					t.Fatalf("LoadRangesFile = %v, want an error naming the file and saying %q",
						err, tt.wantErr)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Fatalf("LoadRangesFile = %v, want it to match %v", err, tt.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadRangesFile: %v", err)
			}
			if got := prefixStrings(set.Prefixes()); !slices.Equal(got, tt.want) {
				t.Errorf("Prefixes() = %v, want %v", got, tt.want)
			}
			if !strings.HasPrefix(set.Version, tt.wantVersion) {
				t.Errorf("Version = %q, want it to start %q", set.Version, tt.wantVersion)
			}
		})
	}

	if _, err := LoadRangesFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestRuleLoadRanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ranges.txt")
	if err := os.WriteFile(path, []byte("10.0.0.0/8\nfd00::/8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v6 := netip.MustParseAddr("2606:4700::1")
	tests := []struct {
		name   string
		rule   Rule
		want   int // prefixes
		wantV6 bool
	}{
		{"bundled, default profile", Rule{Profile: ProfileDefault}, 22, true},
		{"bundled, kql-parity", Rule{Profile: ProfileKQLParity}, 15, false},
		{"file, default profile", Rule{Profile: ProfileDefault, Ranges: Ranges{File: path}}, 2, false},
		{"file, kql-parity", Rule{Profile: ProfileKQLParity, Ranges: Ranges{File: path}}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := tt.rule.LoadRanges()
			if err != nil {
				t.Fatalf("LoadRanges: %v", err)
			}
			if len(set.Prefixes()) != tt.want || set.Contains(v6) != tt.wantV6 {
				t.Errorf("LoadRanges: %d prefixes, contains %s %v; want %d, %v",
					len(set.Prefixes()), v6, set.Contains(v6), tt.want, tt.wantV6)
			}
		})
	}
}
