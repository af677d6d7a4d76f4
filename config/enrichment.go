package config

import (
	"net/url"
	"strings"
)

// Enrichment configures the FileProfile provider, which supplies a hash's
// signature state and global prevalence, and the cache in front of it.
type Enrichment struct {
	// Provider is ProviderNone, ProviderFile or ProviderMDE.
	Provider string `yaml:"provider"`
	// File is the file provider's input: CSV or JSON lines with the columns
	// SHA1, SHA256, SignatureState, GlobalPrevalence.
	File string `yaml:"file"`
	// CacheTTL is how long a provider answer is cached in Redis.
	CacheTTL Duration `yaml:"cache_ttl"`
	// UnknownTTL is how long "unknown" (no profile) is cached.
	UnknownTTL Duration `yaml:"unknown_ttl"`
	MDE        MDE      `yaml:"mde"`
}

// The values of Enrichment.Provider.
const (
	ProviderNone = "none"
	ProviderFile = "file"
	ProviderMDE  = "mde"
)

// MDE configures the Defender file API provider: Azure AD client
// credentials and the API's rate limits.
type MDE struct {
	// BaseURL is the Defender API root (sovereign clouds and local fakes
	// differ).
	BaseURL string `yaml:"base_url"`
	// TokenURL is the OAuth 2.0 token endpoint; "{tenant}" is replaced by
	// TenantID (see TokenEndpoint).
	TokenURL     string `yaml:"token_url"`
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	Scope        string `yaml:"scope"`
	// PerMinute and PerHour are the API's call limits.
	PerMinute int `yaml:"per_minute"`
	PerHour   int `yaml:"per_hour"`
}

// TenantPlaceholder is the part of MDE.TokenURL replaced by the tenant id.
const TenantPlaceholder = "{tenant}"

// TokenEndpoint returns TokenURL with TenantPlaceholder replaced by the
// path-escaped TenantID.
func (m MDE) TokenEndpoint() string {
	return strings.ReplaceAll(m.TokenURL, TenantPlaceholder, url.PathEscape(m.TenantID))
}
