package main

import (
	"os"

	"github.com/flarewatch/flarewatch/config"
)

type checkCmd struct {
	Config string `help:"Configuration file (YAML)." type:"existingfile" required:""`
}

// Run validates the configuration and prints the effective one.
func (c *checkCmd) Run() error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return err
	}
	if _, err := cfg.Rule.LoadRanges(); err != nil {
		return err
	}
	out, err := cfg.Redacted().YAML()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
