package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/internal/server"
)

// TestSIGTERMUnderJoinLoadDrainsAndExitsZero runs `chatto serve` as a
// subprocess, sends it SIGTERM while eight goroutines join and leave over
// HTTP and two event streams are open, and checks that it exits 0 within
// the shutdown timeout and a margin, that each stream ended cleanly (the
// server closed it, no reset), that every join answered 200 is a fact in
// the log after a restart, and that the database is intact with no key
// of an ended call left in it.
func TestSIGTERMUnderJoinLoadDrainsAndExitsZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	c := newCrashEnv(t)
	c.seed()
	c.start()
	tokens := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		tokens[u] = c.login(u)
	}
	streams := []*sseReader{c.openStream(tokens["bob"]), c.openStream(tokens["carol"])}
	var workers []*crashWorker
	for _, room := range slices.Sorted(maps.Keys(crashRooms)) {
		for _, u := range crashRooms[room] {
			workers = append(workers, &crashWorker{c: c, user: u, room: room, token: tokens[u],
				rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(len(workers)))), lk: map[string]*lksdk.Room{}})
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(ctx) })
	}
	time.Sleep(1500*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second))))

	code, took := c.terminate(server.ShutdownTimeout + 10*time.Second)
	stop()
	wg.Wait()
	if code != 0 {
		t.Errorf("chatto serve exited %d after SIGTERM, want 0:\n%s", code, c.out.tail(3000))
	}
	t.Logf("exited %d, %s after SIGTERM; %d joins answered 200 before", code, took.Round(time.Millisecond), len(c.acks))
	if len(c.acks) == 0 {
		t.Fatal("no join was answered before SIGTERM; the test proves nothing")
	}
	for i, s := range streams {
		if err := s.wait(); err != nil {
			t.Errorf("event stream %d did not end cleanly: %v", i, err)
		}
		if s.events() == 0 {
			t.Errorf("event stream %d saw no event during the load", i)
		}
	}
	for _, want := range []string{"shutting down", "stopped: requests drained"} {
		if !strings.Contains(c.out.String(), want) {
			t.Errorf("the server did not log %q", want)
		}
	}

	c.start()
	c.checkAnsweredJoinsAreInTheLog()
	c.checkIntegrity()
	c.checkEndedKeysAreGone()
	for _, w := range workers {
		w.hangUp()
	}
	if strings.Contains(c.out.String(), "DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", c.out.String())
	}
}

// terminate sends SIGTERM and waits for the process to exit, at most
// limit; it returns the exit code and how long it took.
func (c *crashEnv) terminate(limit time.Duration) (int, time.Duration) {
	c.t.Helper()
	start := time.Now()
	if err := c.proc.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-c.exited:
	case <-time.After(limit):
		c.t.Fatalf("chatto serve still running %s after SIGTERM:\n%s", limit, c.out.tail(3000))
	}
	took := time.Since(start)
	code := c.proc.ProcessState.ExitCode()
	c.proc = nil
	return code, took
}

// sseReader reads one event stream until the server ends it.
type sseReader struct {
	done chan error
	mu   sync.Mutex
	n    int
}

// openStream opens GET /api/events with a bearer token.
func (c *crashEnv) openStream(token string) *sseReader {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		c.t.Fatalf("open event stream: %v %v", err, resp)
	}
	s := &sseReader{done: make(chan error, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				s.mu.Lock()
				s.n++
				s.mu.Unlock()
			}
		}
		// Scanner.Err is nil at a clean EOF; a cut connection is an
		// unexpected EOF or a reset.
		s.done <- sc.Err()
	}()
	return s
}

func (s *sseReader) wait() error {
	select {
	case err := <-s.done:
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("cut off: %w", err)
		}
		return err
	case <-time.After(5 * time.Second):
		return fmt.Errorf("still open 5s after the server exited")
	}
}

func (s *sseReader) events() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
