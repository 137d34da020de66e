package lkserver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// Ports for servers that must be addressed before they start (a webhook
// receiver configured into LiveKit, LiveKit itself) are picked below the
// kernel's ephemeral range (32768-60999 here). A port the kernel hands out
// for ":0" lies in that range, and once the picker closes it, any
// client's outgoing connection may take it as its local port before the
// server binds it ("address already in use"; seen in CI). Below the range
// only explicit binds compete, and the processes that run tests at once
// (go test runs packages in parallel) keep out of each other's way with a
// lock file per port, held until the process exits.
const (
	portLow  = 20000
	portHigh = 32000
)

// FreePort returns a TCP port on 127.0.0.1 that is free and reserved for
// this process.
func FreePort() (int, error) { return reservePort("tcp") }

func freeUDPPort() (int, error) { return reservePort("udp") }

func reservePort(network string) (int, error) {
	dir := filepath.Join(os.TempDir(), "chatto-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, fmt.Errorf("lkserver: port reservations: %w", err)
	}
	for range 200 {
		port := portLow + rand.IntN(portHigh-portLow)
		if !lockPort(filepath.Join(dir, network+"-"+strconv.Itoa(port))) {
			continue
		}
		if free(network, port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("lkserver: no free %s port in %d-%d", network, portLow, portHigh)
}

// lockPort takes the reservation file's lock for the rest of the process:
// the descriptor is a raw one, never closed, so nothing (such as an
// *os.File's finalizer) releases it early.
func lockPort(path string) bool {
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o666)
	if err != nil {
		return false
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Close(fd)
		return false
	}
	return true
}

// free reports whether the port can be bound on 127.0.0.1 now.
func free(network string, port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if network == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}
