package server

import (
	"net"
	"net/http"
	"sync"
)

// freshConns tracks the connections that have not sent a request yet
// (http.StateNew). http.Server.Shutdown waits up to five seconds for
// such a connection before it counts it as idle, and clients open them
// without using them all the time (an HTTP client's spare dial, a
// browser's preconnect, a proxy's pool), so a restart would wait those
// five seconds for nothing. Close shuts them itself: no request is in
// progress on them, and a client that was about to send one on it
// retries, as after any restart.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// track is the server's ConnState hook.
func (f *freshConns) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == http.StateNew {
		if f.conns == nil {
			f.conns = make(map[net.Conn]struct{})
		}
		f.conns[c] = struct{}{}
		return
	}
	delete(f.conns, c)
}

// closeAll closes every connection that has not sent a request yet.
func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
		delete(f.conns, c)
	}
}
