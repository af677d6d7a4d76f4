package config

import "time"

// Default returns the configuration with every default filled in. Only
// Kafka.Brokers is left empty: it has no sensible default. Each call returns
// fresh slices.
func Default() Config {
	return Config{
		Kafka: Kafka{
			Topics:             []string{"mde-events"},
			Group:              "flarewatch",
			ClientID:           "flarewatch",
			AlertTopic:         "flarewatch-alerts",
			DeadLetterTopic:    "flarewatch-deadletter",
			FetchMaxBytes:      50 << 20,  // franz-go's default
			BrokerMaxReadBytes: 100 << 20, // franz-go's default
			MaxMessageBytes:    1 << 20,   // Event Hubs' limit per event
			CreateTopics:       true,
		},
		Redis: Redis{
			Addrs:       []string{"127.0.0.1:6379"},
			Mode:        RedisStandalone,
			Namespace:   "fw",
			WaitTimeout: Duration(time.Second),
		},
		Rule: Rule{
			Profile:         ProfileDefault,
			Lookback:        Duration(30 * day),
			AllowedLateness: Duration(5 * time.Minute),
			CertGrace:       Duration(15 * time.Minute),
			DedupWindow:     Duration(time.Hour),
			Bucket:          Duration(time.Hour),
			MaxPrevalence:   50000,
			MaxGroups:       1000,
			MaxListItems:    50,
			UpdateInterval:  Duration(15 * time.Minute),
			Ranges:          Ranges{RefreshInterval: Duration(day)},
		},
		Enrichment: Enrichment{
			Provider:   ProviderNone,
			CacheTTL:   Duration(24 * time.Hour),
			UnknownTTL: Duration(time.Hour),
			MDE: MDE{
				BaseURL:   "https://api.security.microsoft.com",
				TokenURL:  azureTokenURL,
				Scope:     "https://api.securitycenter.microsoft.com/.default",
				PerMinute: 100,
				PerHour:   1500,
			},
		},
		Sinks: Sinks{
			Kafka:  true,
			Format: FormatFlarewatch,
			Webhook: Webhook{
				AuthHeader: "Authorization",
				MaxBytes:   1 << 20,
				Retry:      defaultRetry(),
			},
			SplunkHEC: SplunkHEC{MaxBytes: 1 << 20, Retry: defaultRetry()},
			Sentinel: Sentinel{
				Stream:   "Custom-FlarewatchAlerts",
				TokenURL: azureTokenURL,
				Scope:    "https://monitor.azure.com/.default",
				MaxBytes: SentinelMaxBytes,
				Retry:    defaultRetry(),
			},
		},
		Tenants:         TenantsShared,
		Log:             Log{Level: "info", Format: LogJSON},
		Metrics:         Metrics{Listen: ":9464"},
		ShutdownTimeout: Duration(30 * time.Second),
	}
}

// azureTokenURL is Azure AD's token endpoint in the public cloud.
const azureTokenURL = "https://login.microsoftonline.com/" + TenantPlaceholder +
	"/oauth2/v2.0/token"

// defaultRetry is the retry of every HTTP sink: the pause after the first
// failure, its cap, and the time one delivery may take.
func defaultRetry() Retry {
	return Retry{
		Initial: Duration(500 * time.Millisecond),
		Max:     Duration(30 * time.Second),
		Budget:  Duration(time.Minute),
	}
}
