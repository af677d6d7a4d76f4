package config

import (
	"encoding/json"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "30d", want: 30 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1d12h30m", want: 36*time.Hour + 30*time.Minute},
		{in: "15m", want: 15 * time.Minute},
		{in: "720h", want: 30 * 24 * time.Hour},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "0", want: 0},
		{in: "0d", want: 0},
		{in: "-2d", want: -48 * time.Hour},
		{in: "-1d12h", want: -36 * time.Hour},
		{in: "", wantErr: true},
		{in: "d", wantErr: true},
		{in: "30", wantErr: true},
		{in: "30x", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "1dd", wantErr: true},
		{in: "12h1d", wantErr: true},
		{in: "1d-5h", wantErr: true},
		{in: "-", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "999999999d", wantErr: true},
		{in: "106751d24h", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDuration(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got.Std() != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.Std(), err, tt.want)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{30 * 24 * time.Hour, "30d"},
		{36 * time.Hour, "1d12h"},
		{24*time.Hour + time.Second, "1d1s"},
		{24*time.Hour + 90*time.Minute, "1d1h30m"},
		{24 * time.Hour, "1d"},
		{15 * time.Minute, "15m"},
		{time.Hour, "1h"},
		{90 * time.Second, "1m30s"},
		{500 * time.Millisecond, "500ms"},
		{-48 * time.Hour, "-2d"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d := Duration(tt.in)
			if got := d.String(); got != tt.want {
				t.Fatalf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
			}
			back, err := ParseDuration(d.String())
			if err != nil || back != d {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v back", d.String(), back, err, tt.in)
			}
		})
	}
}

func TestDurationEncodings(t *testing.T) {
	d := Duration(36 * time.Hour)

	y, err := yaml.Marshal(map[string]Duration{"d": d})
	if err != nil || string(y) != "d: 1d12h\n" {
		t.Errorf("yaml.Marshal = %q, %v; want %q", y, err, "d: 1d12h\n")
	}
	j, err := json.Marshal(d)
	if err != nil || string(j) != `"1d12h"` {
		t.Errorf("json.Marshal = %s, %v; want %q", j, err, `"1d12h"`)
	}

	var back Duration
	if err := json.Unmarshal(j, &back); err != nil || back != d {
		t.Errorf("json.Unmarshal(%s) = %v, %v; want %v", j, back, err, d)
	}
	if err := back.UnmarshalText([]byte("1x")); err == nil {
		t.Error("UnmarshalText(1x) succeeded, want an error")
	}
	if back != d {
		t.Errorf("a failed UnmarshalText changed the value to %v", back)
	}
}
