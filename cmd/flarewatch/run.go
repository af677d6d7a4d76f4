package main

import (
	"context"

	"github.com/flarewatch/flarewatch/config"
)

type runCmd struct {
	Config string `help:"Configuration file (YAML); the environment overrides it." type:"existingfile"`
}

// Run starts the service and blocks until SIGINT or SIGTERM.
func (c *runCmd) Run(ctx context.Context) error {
	cfg, err := config.Load(c.Config)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log.Level, cfg.Log.Format)
	s, err := newService(ctx, cfg, log, serviceOptions{})
	if err != nil {
		return err
	}
	return s.run(ctx)
}
