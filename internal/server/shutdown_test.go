package server_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
)

// A connection that never sent a request (an HTTP client's spare dial, a
// browser's preconnect) does not hold up a stop: net/http's Shutdown
// alone would wait five seconds for it; it is closed instead.
func TestStopClosesConnectionsThatSentNoRequest(t *testing.T) {
	env := calltest.Start(t)
	addr := strings.TrimPrefix(env.BaseURL, "http://")
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	env.Login("alice") // the server has accepted it by the time this is served

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		env.StopServer()
	}()
	// Well under the five seconds net/http would wait.
	select {
	case <-stopped:
	case <-time.After(3 * time.Second):
		t.Fatal("the stop is still waiting for a connection that sent no request")
	}
	idle.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := idle.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("the connection that sent no request: read %d, %v; want it closed by the server", n, err)
	}
}
