package main

import (
	"github.com/flarewatch/flarewatch/stream/enrich"
)

// bundledTraffic returns the demo's default input: the synthetic message
// built around the rule's edge cases. Its FileProfile answers come from no
// provider, so the default profile alerts with prevalence unknown.
func bundledTraffic() ([][]byte, enrich.Provider, error) {
	msgs, err := splitMessages(bytesReader(syntheticMessage))
	return msgs, enrich.None{}, err
}
