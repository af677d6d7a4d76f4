package gen

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func TestAddressKinds(t *testing.T) {
	if len(cloudflareV4) != 15 || len(cloudflareV6) != 7 {
		t.Fatalf("%d IPv4 and %d IPv6 ranges, want 15 and 7", len(cloudflareV4), len(cloudflareV6))
	}
	tests := []struct {
		name       string
		draw       func(*rand.Rand) string
		cloudflare bool
		v4         bool
	}{
		{"cloudflare IPv4", cloudflareV4Addr, true, true},
		{"cloudflare IPv6", cloudflareV6Addr, true, false},
		{"public IPv4", publicV4, false, true},
		{"public IPv6", publicV6, false, false},
		{"private IPv4", privateV4, false, true},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5000 {
				s := tt.draw(r)
				a, err := netip.ParseAddr(s)
				if err != nil || a.String() != s {
					t.Fatalf("%q is not a canonical address: %v", s, err)
				}
				private := tt.name == "private IPv4"
				if a.Is4() != tt.v4 || isCloudflare(s) != tt.cloudflare || a.IsPrivate() != private {
					t.Fatalf("%s: IPv4 %v, Cloudflare %v, private %v", s, a.Is4(), isCloudflare(s), a.IsPrivate())
				}
			}
		})
	}
}
