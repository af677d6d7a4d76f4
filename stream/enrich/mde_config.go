package enrich

import (
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/config"
)

// NewMDEFromConfig returns the mde provider c describes, with its rate
// limits shared through rdb under namespace (nil rdb keeps them in this
// process), a 30 s HTTP timeout and DefaultMDEMaxWait.
func NewMDEFromConfig(c config.MDE, rdb redis.UniversalClient, namespace string) (*MDE, error) {
	return NewMDE(MDEOptions{
		BaseURL:      c.BaseURL,
		TokenURL:     c.TokenEndpoint(),
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret.Reveal(),
		Scope:        c.Scope,
		PerMinute:    c.PerMinute,
		PerHour:      c.PerHour,
		Redis:        rdb,
		Namespace:    namespace,
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		MaxWait:      DefaultMDEMaxWait,
	})
}
