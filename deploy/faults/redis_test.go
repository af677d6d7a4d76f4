package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// redisServer is a redis-server of one scenario's own, on a free loopback
// port, with an append-only file synced on every write, so that what it
// acknowledged survives a stop and a start.
type redisServer struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	args []string // after the port and data settings: --replicaof, or a sentinel's
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedisServer starts the server, with args added to its command line;
// it is stopped when the test ends. Without redis-server on PATH the test
// is skipped, or fails under CI.
func startRedisServer(t *testing.T, dir string, args ...string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testenv.InCI() {
			t.Fatal("redis-server is not on PATH and CI=true: deploy/testenv/testenv.sh up installs it")
		}
		t.Skip("redis-server is not on PATH")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{t: t, bin: bin, dir: dir, port: port, args: args}
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.stop() })
	return r
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs the server on its data folder and waits until it answers.
func (r *redisServer) start() error {
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--dir", r.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
		"--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log")}
	if len(r.args) > 0 && r.args[0] == "--sentinel" {
		// A sentinel keeps its state in a configuration file it rewrites,
		// named first on the command line.
		args = append([]string{filepath.Join(r.dir, "sentinel.conf")}, r.args...)
		args = append(args, "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
			"--dir", r.dir, "--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	} else {
		args = append(args, r.args...)
	}
	r.cmd = exec.Command(r.bin, args...)
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(r.cmd, r.done)

	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("redis-server on " + r.addr() + " does not answer PING")
}

// startSentinel starts a Redis Sentinel that monitors master as
// sentinelMaster, with a quorum of one and a failover after a second
// without an answer.
func startSentinel(t *testing.T, dir string, master *redisServer) *redisServer {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 1\n"+
		"sentinel down-after-milliseconds %[1]s 1000\n"+
		"sentinel failover-timeout %[1]s 10000\n", sentinelMaster, master.port)
	if err := os.WriteFile(filepath.Join(dir, "sentinel.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return startRedisServer(t, dir, "--sentinel")
}

// sentinelMaster is the name the sentinel knows the scenario's master by.
const sentinelMaster = "fw"

// pause stops the server with SIGSTOP: it holds its connections and
// answers nothing, as a replica behind a congested link would.
func (r *redisServer) pause() error { return r.cmd.Process.Signal(syscall.SIGSTOP) }

// resume undoes pause.
func (r *redisServer) resume() error { return r.cmd.Process.Signal(syscall.SIGCONT) }

// kill stops the server with SIGKILL, as a crashed host would, and waits.
func (r *redisServer) kill() error {
	if err := r.cmd.Process.Kill(); err != nil {
		return err
	}
	<-r.done
	return nil
}

// stop shuts the server down with SIGTERM and waits for it.
func (r *redisServer) stop() error {
	if r.cmd == nil {
		return nil
	}
	select {
	case <-r.done:
		return nil
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		return errors.New("redis-server ignored SIGTERM for 30s: killed")
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
