// Package server boots the standalone product: the event log, the
// embedded host, the calls plugin and the web page behind one echo.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/internal/web"
)

// Main is one running server. Tests boot it for real, stop it and boot it
// again on the same database to prove state survives restarts.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	// Clock, if set, is the call service's clock (tests move it by hand).
	Clock chatto.Clock

	store  *eventlog.Store
	host   *host.Host
	plugin *chatto.Plugin
	echo   *echo.Echo
	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Main for cfg; Run starts it.
func New(cfg config.Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log}
}

// Run opens the database, listens synchronously (so the address is known
// and bind errors surface here) and then serves in the background. The
// first reconcile with LiveKit runs in the background too, so a LiveKit
// outage never keeps the server from starting.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	cfg := m.Config
	if dir := filepath.Dir(cfg.Database.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("server: create database directory: %w", err)
		}
	}
	if m.store, err = eventlog.Open(ctx, cfg.Database.Path); err != nil {
		return err
	}
	if m.host, err = host.Open(ctx, cfg.Database.Path, m.Log); err != nil {
		return err
	}
	var opts []chatto.Option
	if m.Clock != nil {
		opts = append(opts, chatto.WithClock(m.Clock))
	}
	if m.plugin, err = chatto.New(ctx, cfg.LiveKit, m.host, m.store, m.Log, opts...); err != nil {
		return err
	}
	m.host.OnMemberRemoved(func(ctx context.Context, roomID, userID string) {
		if err := m.plugin.MemberRemoved(ctx, roomID, userID); err != nil {
			m.Log.Error("take a removed member out of the call", "room", roomID, "err", err)
		}
	})

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Echo's own errors (unknown route, wrong method) answer in the same
	// shape as everything else.
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if !c.Response().Committed {
			chatto.WriteError(c, m.Log, err)
		}
	}
	m.plugin.Mount(e)
	m.host.Mount(e)
	e.GET("/healthz", m.healthz)
	web.Mount(e)
	m.echo = e

	if m.ln, err = net.Listen("tcp", cfg.Webserver.Listen); err != nil {
		return fmt.Errorf("server: listen on %s (webserver.listen): %w", cfg.Webserver.Listen, err)
	}
	m.srv = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // the event stream lifts it for itself
		IdleTimeout:       120 * time.Second,
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer m.wg.Done()
		m.plugin.Run(runCtx)
	}()
	m.Log.Info("chatto listening", "addr", m.ln.Addr().String(), "url", cfg.Webserver.URL, "calls", cfg.LiveKit.Enabled)
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Plugin returns the calls plugin.
func (m *Main) Plugin() *chatto.Plugin { return m.plugin }

// Handler is the server's HTTP handler; benchmarks call it in-process.
func (m *Main) Handler() http.Handler { return m.echo }

// Store returns the event log.
func (m *Main) Store() *eventlog.Store { return m.store }

// Host returns the embedded host.
func (m *Main) Host() *host.Host { return m.host }

func (m *Main) healthz(c echo.Context) error {
	ctx := c.Request().Context()
	h := m.plugin.Health(ctx)
	body := map[string]any{"ok": h.OK, "calls": h}
	if err := m.host.Ping(ctx); err != nil {
		body["ok"] = false
	}
	status := http.StatusOK
	if body["ok"] == false {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, body)
}

// Close stops serving and closes everything, gathering every error.
func (m *Main) Close() error {
	var errs []error
	if m.cancel != nil {
		m.cancel()
	}
	if m.host != nil {
		// End the event streams so Shutdown does not wait on them.
		m.host.EndStreams()
	}
	if m.srv != nil {
		// Give in-flight requests a grace window, then cut the rest off:
		// every request is safe to retry (LiveKit retries webhooks that
		// got no answer), so a slow one must not hold up a restart.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := m.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			m.Log.Warn("requests still running after 10s; closing their connections")
			errs = append(errs, m.srv.Close())
		} else {
			errs = append(errs, err)
		}
		cancel()
	}
	m.wg.Wait()
	if m.host != nil {
		errs = append(errs, m.host.Close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}
