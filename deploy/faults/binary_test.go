package faults

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// raceEnabled is set by race_test.go when the tests run with -race: the
// binary is then built with -race too, which reuses the packages the test
// build compiled and makes the processes report their own data races.
var raceEnabled bool

// workDir holds the binary; TestMain creates and removes it.
var workDir string

var build struct {
	once sync.Once
	path string
	err  error
}

// flarewatchBinary builds ./cmd/flarewatch once per test binary and returns
// its path.
func flarewatchBinary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(workDir, "flarewatch")
		args := []string{"build", "-o", build.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/flarewatch")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = errors.New("go build ./cmd/flarewatch: " + err.Error() + "\n" + string(out))
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// moduleRoot is the folder of go.mod, above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
