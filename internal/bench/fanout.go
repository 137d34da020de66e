package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The fan-out benchmarks open thousands of event streams. Each stream
// takes a file descriptor at both ends, and this machine's hard limit on
// descriptors (20,000) is below two ends of 10,000 streams and cannot be
// raised without CAP_SYS_RESOURCE. So the subscribers run in a child
// process (the test binary again, see TestMain) speaking this file's
// protocol on its stdin and stdout; that also keeps the server's memory
// apart from the clients'. The same client reads the product and the
// floor.

// FanoutSpec is what the fan-out client is asked to do: open one event
// stream per token, then, on each Round, send Trigger and time until
// every stream has read one event of type Type.
type FanoutSpec struct {
	Events  string   `json:"events"` // URL of the event stream
	Tokens  []string `json:"tokens"` // bearer tokens, one stream each
	Type    string   `json:"type"`   // SSE event type an update arrives as
	Trigger Request  `json:"trigger"`
	// Timeout bounds opening all the streams, and each round.
	Timeout time.Duration `json:"timeout"`
}

// Request is an HTTP POST with a bearer token.
type Request struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	Body  string `json:"body"`
}

func (r Request) do(client *http.Client) error {
	req, err := http.NewRequest(http.MethodPost, r.URL, strings.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", r.URL, res.StatusCode, msg)
	}
	return nil
}

// FanoutRound is the client's answer to one round: how long after the
// trigger went out each stream read the event, in the order they did,
// and the size of the event's data.
type FanoutRound struct {
	Latencies []time.Duration `json:"ns"`
	DataBytes int             `json:"data_bytes"`
	Err       string          `json:"err,omitempty"`
}

// FanoutClient is the parent's end of a fan-out client process.
type FanoutClient struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *json.Decoder
	closed sync.Once
	err    error
	// Streams is how many event streams the client holds open.
	Streams int
}

// StartFanoutClient starts cmd, which must run RunFanoutClient on its
// stdin and stdout, hands it spec and waits until its streams are open.
// Build cmd with exec.CommandContext: its context bounds the process.
// Its stderr goes to this process's unless cmd says otherwise.
func StartFanoutClient(cmd *exec.Cmd, spec FanoutSpec) (*FanoutClient, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the fan-out client: %w", err)
	}
	c := &FanoutClient{cmd: cmd, in: in, out: json.NewDecoder(out)}
	var ready fanoutReady
	err = json.NewEncoder(in).Encode(spec)
	if err == nil {
		err = c.out.Decode(&ready)
	}
	if err == nil && ready.Err != "" {
		err = errors.New(ready.Err)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("fan-out client: %w", err), c.Close())
	}
	c.Streams = ready.Streams
	return c, nil
}

// Round has the client send the trigger once and returns when every
// stream has read the update.
func (c *FanoutClient) Round() (FanoutRound, error) {
	var r FanoutRound
	if _, err := io.WriteString(c.in, "round\n"); err != nil {
		return r, fmt.Errorf("fan-out client: %w", err)
	}
	if err := c.out.Decode(&r); err != nil {
		return r, fmt.Errorf("fan-out client: %w", err)
	}
	if r.Err != "" {
		return r, fmt.Errorf("fan-out client: %s", r.Err)
	}
	return r, nil
}

// Close closes the client's streams and waits for it to exit.
func (c *FanoutClient) Close() error {
	c.closed.Do(func() {
		c.in.Close()
		if err := c.cmd.Wait(); err != nil {
			c.err = fmt.Errorf("fan-out client: %w", err)
		}
	})
	return c.err
}

// RunFanoutClient is the child process: it reads a FanoutSpec line from
// in, opens the streams and answers with a ready line, then runs one
// round per line it reads ("round") and writes a FanoutRound line each,
// until in ends or a round fails. It raises its own descriptor limit.
func RunFanoutClient(ctx context.Context, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(out)
	if !sc.Scan() {
		return fmt.Errorf("fanout client: no spec: %v", sc.Err())
	}
	var spec FanoutSpec
	if err := json.Unmarshal(sc.Bytes(), &spec); err != nil {
		return fmt.Errorf("fanout client: spec: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := openStreams(ctx, spec)
	if err != nil {
		_ = enc.Encode(fanoutReady{Err: err.Error()})
		return err
	}
	defer c.close()
	if err := enc.Encode(fanoutReady{Streams: len(c.conns)}); err != nil {
		return err
	}
	trigger := &http.Client{Timeout: spec.Timeout}
	for sc.Scan() {
		r, err := c.round(ctx, trigger, spec)
		if err != nil {
			r.Err = err.Error()
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
		if r.Err != "" {
			return errors.New(r.Err)
		}
	}
	return sc.Err()
}

// fanoutReady is the client's first line: all streams are open.
type fanoutReady struct {
	Streams int    `json:"streams"`
	Err     string `json:"err,omitempty"`
}

// delivery is one stream having read one event.
type delivery struct {
	stream int
	at     time.Time
	size   int
}

// streams are the child's open event streams.
type streams struct {
	conns      []net.Conn
	deliveries chan delivery
	failed     chan error
	readers    sync.WaitGroup
	closing    chan struct{}
}

// dialers is how many streams are opened at once: enough to be quick,
// few enough to stay inside the listen backlog.
const dialers = 32

func openStreams(ctx context.Context, spec FanoutSpec) (*streams, error) {
	if err := RaiseFileLimit(len(spec.Tokens) + 256); err != nil {
		return nil, err
	}
	u, err := url.Parse(spec.Events)
	if err != nil {
		return nil, err
	}
	n := len(spec.Tokens)
	c := &streams{
		conns:      make([]net.Conn, n),
		deliveries: make(chan delivery, n),
		failed:     make(chan error, n),
		closing:    make(chan struct{}),
	}
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, dialers)
	next := make(chan int)
	for range dialers {
		wg.Go(func() {
			for i := range next {
				conn, br, err := openStream(ctx, u, spec.Tokens[i])
				if err != nil {
					errs <- fmt.Errorf("stream %d: %w", i, err)
					return
				}
				c.conns[i] = conn
				c.readers.Go(func() { c.read(i, br, spec.Type) })
			}
		})
	}
	var failed error
feed:
	for i := range n {
		select {
		case next <- i:
		case failed = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed == nil && len(errs) > 0 {
		failed = <-errs
	}
	if failed != nil {
		c.close()
		return nil, fmt.Errorf("fanout client: %d streams wanted: %w", n, failed)
	}
	return c, nil
}

// openStream sends the GET on a connection of its own and reads the
// answer's header and the server's first (comment) frame, after which
// the stream is subscribed.
func openStream(ctx context.Context, u *url.URL, token string) (net.Conn, *bufio.Reader, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", u.RequestURI(), u.Host, token)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		conn.Close()
		return nil, nil, fmt.Errorf("GET %s: %d %s", u, res.StatusCode, msg)
	}
	body := bufio.NewReader(res.Body)
	for {
		line, err := body.ReadSlice('\n')
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("GET %s: before the first frame: %w", u, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, body, nil
}

// read parses one stream's frames and reports each event of type typ.
func (c *streams) read(i int, br *bufio.Reader, typ string) {
	var event string
	size := 0
	// A line longer than the reader's buffer comes in pieces: rest says
	// this piece continues the last, inData that it is event data.
	rest, inData := false, false
	for {
		line, more, err := br.ReadLine()
		if err != nil {
			select {
			case <-c.closing:
			default:
				c.failed <- fmt.Errorf("stream %d ended: %w", i, err)
			}
			return
		}
		switch {
		case rest:
			if inData {
				size += len(line)
			}
		case len(line) == 0:
			if event == typ {
				c.deliveries <- delivery{stream: i, at: time.Now(), size: size}
			}
			event, size = "", 0
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(line[len("event: "):])
		case bytes.HasPrefix(line, []byte("data: ")):
			size += len(line) - len("data: ")
			inData = true
		}
		rest = more
		if !more {
			inData = false
		}
	}
}

// round sends the trigger and waits for every stream to read one event.
func (c *streams) round(ctx context.Context, client *http.Client, spec FanoutSpec) (FanoutRound, error) {
	n := len(c.conns)
	// Nothing may arrive between rounds: an event here would be counted
	// against the wrong trigger.
	select {
	case d := <-c.deliveries:
		return FanoutRound{}, fmt.Errorf("stream %d read an event nobody triggered", d.stream)
	default:
	}
	seen := make([]bool, n)
	out := FanoutRound{Latencies: make([]time.Duration, 0, n)}
	timeout := time.NewTimer(spec.Timeout)
	defer timeout.Stop()
	start := time.Now()
	sent := make(chan error, 1)
	go func() { sent <- spec.Trigger.do(client) }()
	for len(out.Latencies) < n {
		select {
		case d := <-c.deliveries:
			if seen[d.stream] {
				return out, fmt.Errorf("stream %d read the update twice", d.stream)
			}
			seen[d.stream] = true
			out.Latencies = append(out.Latencies, d.at.Sub(start))
			out.DataBytes = d.size
		case err := <-sent:
			if err != nil {
				return out, fmt.Errorf("trigger: %w", err)
			}
			sent = nil
		case err := <-c.failed:
			return out, err
		case <-timeout.C:
			return out, fmt.Errorf("%d of %d streams read the update within %s", len(out.Latencies), n, spec.Timeout)
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
	if sent != nil {
		if err := <-sent; err != nil {
			return out, fmt.Errorf("trigger: %w", err)
		}
	}
	return out, nil
}

func (c *streams) close() {
	close(c.closing)
	for _, conn := range c.conns {
		if conn != nil {
			conn.Close()
		}
	}
	c.readers.Wait()
}

// RaiseFileLimit makes sure this process may open n file descriptors,
// raising its soft limit (and, if it may, its hard limit), or says why
// it cannot.
func RaiseFileLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("get the file descriptor limit: %w", err)
	}
	if lim.Cur >= uint64(n) {
		return nil
	}
	want := lim
	want.Cur = uint64(n)
	want.Max = max(lim.Max, uint64(n))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return fmt.Errorf("need %d file descriptors; the limit is %d (hard %d) and raising it failed: %w", n, lim.Cur, lim.Max, err)
	}
	return nil
}
