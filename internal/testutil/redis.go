package testutil

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a real redis-server (Debian's package) started for a test on
// a free loopback port, with its data in a temporary directory. The test
// fails, never skips, when redis-server is missing: the fleet is tested
// against the real thing (miniredis's HyperLogLogs differ). It is stopped
// when the test ends.
type Redis struct {
	Addr string
	Dir  string
	tb   testing.TB
	bin  string
	args []string

	mu  sync.Mutex // guards cmd and log
	cmd *exec.Cmd
	log *bytes.Buffer
}

// StartRedis starts a redis-server; extra are more of its arguments
// ("--requirepass", "x").
func StartRedis(tb testing.TB, extra ...string) *Redis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found: the fleet tests need a real one (apt-get install -y redis-server): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &Redis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: tb.TempDir(), tb: tb, bin: bin}
	r.args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.Dir, "--dbfilename", "dump.rdb", "--logfile", "", "--daemonize", "no"}, extra...)
	r.Start()
	tb.Cleanup(r.Kill)
	return r
}

// URL is the redis:// URL of the server.
func (r *Redis) URL() string { return "redis://" + r.Addr }

// Start starts the server (again, after Stop: with the data Stop saved),
// and waits until it answers.
func (r *Redis) Start() {
	r.tb.Helper()
	r.mu.Lock()
	r.log = &bytes.Buffer{}
	r.cmd = exec.Command(r.bin, r.args...)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	err := r.cmd.Start()
	r.mu.Unlock()
	if err != nil {
		r.tb.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := redis.NewClient(&redis.Options{Addr: r.Addr, DisableIdentity: true, MaxRetries: -1})
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("redis-server on %s did not answer within 10 s: %s", r.Addr, r.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop saves the data and stops the server (SHUTDOWN SAVE), as an
// operator's restart does; Start brings it back with its data.
func (r *Redis) Stop() {
	r.tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, Password: "", DisableIdentity: true})
	_ = c.Do(context.Background(), "SHUTDOWN", "SAVE").Err() // the connection closes: no reply
	c.Close()
	r.wait()
}

// Kill stops the server at once, without saving.
func (r *Redis) Kill() {
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		r.wait()
	}
}

func (r *Redis) wait() {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd != nil {
		_ = cmd.Wait()
	}
}

// Log returns what the server printed.
func (r *Redis) Log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.log == nil {
		return ""
	}
	return r.log.String()
}

// Client returns an administrator's client of the server (the default
// user), closed when the test ends.
func (r *Redis) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr, DisableIdentity: true, Protocol: 2})
	r.tb.Cleanup(func() { c.Close() })
	return c
}

// Do runs one command as the administrator and fails the test on error.
func (r *Redis) Do(args ...any) any {
	r.tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, DisableIdentity: true})
	defer c.Close()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil {
		r.tb.Fatalf("redis %v: %v", args, err)
	}
	return v
}

// DumpPath is where Stop saves the data.
func (r *Redis) DumpPath() string { return filepath.Join(r.Dir, "dump.rdb") }

// String names the server in messages.
func (r *Redis) String() string { return fmt.Sprintf("redis-server on %s", r.Addr) }
