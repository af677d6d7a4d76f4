package faults

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is one `flarewatch run` process.
type proc struct {
	name    string // client id and generation, e.g. fw-1#2
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	exitErr error     // set before done is closed
	exited  time.Time // set before done is closed

	stopping atomic.Bool               // the test signalled it: an exit is expected
	termAt   atomic.Pointer[time.Time] // when SIGTERM was sent
	dumped   atomic.Bool               // its log ends with a goroutine dump
	peakRSS  atomic.Int64              // KiB
}

// startProc starts bin with the environment env, its stderr and stdout
// going to logPath.
func startProc(name, bin, config, logPath string, env []string) (*proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--config", config)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		_ = log.Close()
		p.exitErr, p.exited = err, time.Now()
		close(p.done)
	}()
	go p.sampleRSS()
	return p, nil
}

// alive reports whether the process has not exited.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	p.stopping.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and waits up to limit for the process to exit; it
// returns how long the exit took. A process still running at limit is
// killed, and the error says so.
func (p *proc) term(limit time.Duration) (time.Duration, error) {
	p.stopping.Store(true)
	sent := time.Now()
	p.termAt.Store(&sent)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("%s: SIGTERM: %w", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return time.Since(sent), fmt.Errorf("%s still running %s after SIGTERM: killed", p.name, limit)
	}
	took := p.exited.Sub(sent)
	if p.exitErr != nil {
		return took, fmt.Errorf("%s exited after SIGTERM with %v", p.name, p.exitErr)
	}
	return took, nil
}

// sampleRSS records the peak resident set size until the process ends.
func (p *proc) sampleRSS() {
	path := "/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status"
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if kib, ok := vmRSS(path); ok && kib > p.peakRSS.Load() {
			p.peakRSS.Store(kib)
		}
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

// vmRSS reads the VmRSS line of a /proc/PID/status file, in KiB.
func vmRSS(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// warnedSince reports whether the process logged, at WARN and at or after
// since, a line whose message is msg.
func (p *proc) warnedSince(since time.Time, msg string) bool {
	b, _ := os.ReadFile(p.logPath)
	for line := range strings.Lines(string(b)) {
		var l struct {
			Time  time.Time `json:"time"`
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "WARN" && l.Msg == msg &&
			!l.Time.Before(since) {
			return true
		}
	}
	return false
}

// dump makes the Go runtime write every goroutine's stack into the log
// (SIGQUIT), which ends the process.
func (p *proc) dump() {
	p.stopping.Store(true)
	p.dumped.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// tail returns the last n lines of the process's log; of its JSON lines
// only when the log ends with a goroutine dump.
func (p *proc) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for l := range strings.Lines(string(b)) {
		if !p.dumped.Load() || strings.HasPrefix(l, "{") {
			lines = append(lines, strings.TrimRight(l, "\n"))
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// errUnexpectedExit marks a process that exited without being told to.
var errUnexpectedExit = errors.New("exited on its own")
