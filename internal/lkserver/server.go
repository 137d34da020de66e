package lkserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configures a livekit-server started by Start.
type Options struct {
	// APIKey and APISecret are the only key pair the server accepts. The
	// secret must be at least 32 characters long.
	APIKey, APISecret string
	// WebhookURLs receive the server's webhooks, signed with APIKey. They are
	// fixed for the life of the server: reserve the receiver's port with
	// FreePort before calling Start. Empty disables webhooks.
	WebhookURLs []string
	// Port is the HTTP/WebSocket signalling port; 0 picks a free one.
	Port int
	// LogLevel is the server's log level (debug, info, warn, error); empty
	// means warn.
	LogLevel string
	// Stdout and Stderr receive the server's output; nil discards it.
	Stdout, Stderr io.Writer
}

// Server is a running livekit-server process bound to 127.0.0.1.
type Server struct {
	port   int
	cmd    *exec.Cmd
	dir    string
	output *tail
	secret string

	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

const (
	readyTimeout = 30 * time.Second
	settleDelay  = 200 * time.Millisecond
	forceAfter   = time.Second
	stopTimeout  = 5 * time.Second
)

// Start builds livekit-server if needed (see Binary), starts it with a
// loopback-only configuration and returns once it answers HTTP requests.
// ctx governs the server's whole life, not only its startup: cancelling it
// kills the server (SIGKILL to its process group). Call Stop to end it
// gracefully.
//
// RTC media uses a single UDP port on 127.0.0.1. ICE over TCP is disabled
// because livekit-server binds its TCP port on every interface.
func Start(ctx context.Context, opt Options) (*Server, error) {
	if opt.APIKey == "" {
		return nil, errors.New("lkserver: APIKey is required")
	}
	if len(opt.APISecret) < 32 {
		return nil, fmt.Errorf("lkserver: APISecret must be at least 32 characters, got %d", len(opt.APISecret))
	}
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}

	// Free ports are found by binding and closing, so another process may
	// take one before livekit-server binds it: retry on that collision.
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, bin, opt)
		if err == nil {
			return s, nil
		}
		if attempt == 3 || !errors.Is(err, errAddrInUse) {
			return nil, err
		}
	}
}

var errAddrInUse = errors.New("address already in use")

func start(ctx context.Context, bin string, opt Options) (_ *Server, err error) {
	port := opt.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	udpPort, err := freeUDPPort()
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "lkserver-")
	if err != nil {
		return nil, fmt.Errorf("lkserver: create config dir: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	configPath := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(configPath, config(opt, port, udpPort), 0o600); err != nil {
		return nil, fmt.Errorf("lkserver: write config: %w", err)
	}

	s := &Server{
		port:   port,
		dir:    dir,
		output: newTail(16 << 10),
		secret: opt.APISecret,
		exited: make(chan struct{}),
	}
	cmd := exec.CommandContext(ctx, bin, "--config", configPath)
	cmd.Dir = dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = stopTimeout
	cmd.Stdout = io.MultiWriter(s.output, lenient(opt.Stdout))
	cmd.Stderr = io.MultiWriter(s.output, lenient(opt.Stderr))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lkserver: start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// config renders the loopback-only configuration. Strings are written as JSON
// strings, which YAML reads verbatim whatever they contain.
func config(opt Options, port, udpPort int) []byte {
	q := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	level := opt.LogLevel
	if level == "" {
		level = "warn"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "port: %d\n", port)
	b.WriteString("bind_addresses: [127.0.0.1]\n")
	b.WriteString("rtc:\n")
	b.WriteString("  tcp_port: 0\n") // see Start: the TCP listener would not be loopback-only
	fmt.Fprintf(&b, "  udp_port: %d\n", udpPort)
	b.WriteString("  use_external_ip: false\n")
	b.WriteString("  node_ip: 127.0.0.1\n")
	b.WriteString("  enable_loopback_candidate: true\n")
	// Any loopback address: it replaces the public STUN servers LiveKit
	// would otherwise hand to clients.
	b.WriteString("  stun_servers: [\"127.0.0.1:3478\"]\n")
	b.WriteString("  ips:\n    includes: [127.0.0.1/8]\n")
	b.WriteString("turn:\n  enabled: false\n")
	// A call's LiveKit room is made by its first device's connection,
	// with the limits in the device's token (LiveKit's default, stated).
	b.WriteString("room:\n  auto_create: true\n")
	fmt.Fprintf(&b, "keys:\n  %s: %s\n", q(opt.APIKey), q(opt.APISecret))
	if len(opt.WebhookURLs) > 0 {
		fmt.Fprintf(&b, "webhook:\n  api_key: %s\n  urls:\n", q(opt.APIKey))
		for _, u := range opt.WebhookURLs {
			fmt.Fprintf(&b, "    - %s\n", q(u))
		}
	}
	fmt.Fprintf(&b, "logging:\n  level: %s\n", q(level))
	return b.Bytes()
}

// serverEnv is the current environment without the variables livekit-server
// reads as flags, which would override the config file.
func serverEnv() []string {
	overrides := map[string]bool{"NODE_IP": true, "UDP_PORT": true, "REDIS_HOST": true, "REDIS_PASSWORD": true}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LIVEKIT_") || overrides[name] {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.HTTPURL()+"/", nil)
		if err != nil {
			return fmt.Errorf("lkserver: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s.settle(ctx)
			}
		}
		select {
		case <-s.exited:
			err := fmt.Errorf("lkserver: livekit-server exited before becoming ready (%v); output:\n%s", s.waitErr, s.redactedOutput())
			if strings.Contains(s.output.String(), "address already in use") {
				err = fmt.Errorf("%w: %w", errAddrInUse, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("lkserver: livekit-server not ready on %s after %s: %w; output:\n%s", s.HTTPURL(), readyTimeout, context.Cause(ctx), s.redactedOutput())
		case <-tick.C:
		}
	}
}

// settle waits out the 100 ms livekit-server sleeps between serving HTTP and
// marking itself running (pkg/service/server.go, Start): a SIGTERM before that
// is ignored, which would make an early Stop hang until SIGKILL.
func (s *Server) settle(ctx context.Context) error {
	select {
	case <-time.After(settleDelay):
		return nil
	case <-s.exited:
		return fmt.Errorf("lkserver: livekit-server exited right after becoming ready (%v); output:\n%s", s.waitErr, s.redactedOutput())
	case <-ctx.Done():
		return fmt.Errorf("lkserver: %w", context.Cause(ctx))
	}
}

// URL is the WebSocket URL clients and SDKs connect to.
func (s *Server) URL() string { return "ws://127.0.0.1:" + strconv.Itoa(s.port) }

// HTTPURL is the base URL of the server's HTTP API (Twirp room service).
func (s *Server) HTTPURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// Stop shuts the server down: SIGTERM, a second SIGTERM after 1 s if
// participants are still connected (LiveKit then stops without waiting for
// them), SIGKILL to the process group after 5 s. It removes the server's config
// and is safe to call more than once; later calls return the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		defer os.RemoveAll(s.dir)
		select {
		case <-s.exited:
			return
		default:
		}
		pid := s.cmd.Process.Pid
		// livekit-server's first SIGTERM waits for participants to leave;
		// its second shuts down without waiting.
		_ = killGroup(pid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(forceAfter):
			_ = killGroup(pid, syscall.SIGTERM)
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout - forceAfter):
			_ = killGroup(pid, syscall.SIGKILL)
			<-s.exited
			s.stopErr = fmt.Errorf("lkserver: livekit-server did not exit within %s of SIGTERM and was killed", stopTimeout)
			return
		}
		// The group may hold children that outlived the server.
		_ = killGroup(pid, syscall.SIGKILL)
	})
	return s.stopErr
}

// Crash kills the server with SIGKILL, as a crash or power loss would: it
// sends no webhooks and closes no rooms on the way down. Stop afterwards
// only cleans up.
func (s *Server) Crash() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = killGroup(s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

// redactedOutput is the tail of the server's output without the API secret.
func (s *Server) redactedOutput() string {
	return strings.ReplaceAll(s.output.String(), s.secret, "[REDACTED]")
}

func killGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// lenient wraps a caller's writer so that its errors (say, a test's log after
// the test ended) cannot stall the server's output pipe.
func lenient(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return lenientWriter{w}
}

type lenientWriter struct{ w io.Writer }

func (l lenientWriter) Write(p []byte) (int, error) {
	_, _ = l.w.Write(p)
	return len(p), nil
}

// tail keeps the last bytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
