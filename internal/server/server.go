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
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/internal/web"
	"github.com/chattocalls/chatto/outgoing"
)

// Main is one running server. Tests boot it for real, stop it and boot it
// again on the same database to prove state survives restarts.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	// Clock, if set, is the call service's clock (tests move it by hand).
	Clock chatto.Clock
	// Demo seeds the demo users and rooms into a database without users
	// (the dev command and tests; serve never does).
	Demo bool
	// BcryptCost, if set, replaces host.DefaultBcryptCost (tests lower it
	// to sign in fast).
	BcryptCost int
	// RequestLogLevel is the level of access-log lines (default Info; the
	// dev command, whose terminal is for the person trying the product,
	// uses Debug).
	RequestLogLevel slog.Level

	// log is Log with each request's id added (see accesslog.go).
	log    *slog.Logger
	store  *eventlog.Store
	host   *host.Host
	plugin *chatto.Plugin
	echo   *echo.Echo
	ln     net.Listener
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// outgoing delivers the outbox's webhooks.
	outgoing *outgoing.Worker
	// registry holds the metrics /metrics serves to metricsAllow (see
	// metrics.go).
	registry     *prometheus.Registry
	metricsAllow []netip.Prefix
	// ready is /readyz's last result (see health.go).
	ready readyCache
	// fresh are the connections without a request yet (conns.go).
	fresh freshConns
	// proxies are the trusted reverse proxies (proxy.go).
	proxies proxies
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
	// Every line logged while serving a request carries its id.
	m.log = slog.New(requestIDHandler{m.Log.Handler()})
	// Config.Load has checked these, but a Main may be given a Config
	// built in code.
	trusted, err := cfg.Webserver.TrustedProxyPrefixes()
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	m.proxies = proxies{trusted: trusted}
	if m.metricsAllow, err = cfg.Webserver.MetricsAllowPrefixes(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if dir := filepath.Dir(cfg.Database.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("server: create database directory: %w", err)
		}
	}
	if m.store, err = eventlog.Open(ctx, cfg.Database.Path); err != nil {
		return err
	}
	hostOpts := []host.Option{
		host.WithDB(m.store.DB()),
		host.WithWriter(m.store.Write),
		host.WithSessionLifetimes(cfg.Webserver.SessionIdle, cfg.Webserver.SessionMax),
		host.WithStreamLimits(cfg.Webserver.MaxStreamsPerUser, cfg.Webserver.MaxStreams),
		host.WithSecureCookie(siteIsHTTPS(cfg.Webserver.URL)),
	}
	if m.Demo {
		hostOpts = append(hostOpts, host.WithDemoData())
	}
	if m.BcryptCost != 0 {
		hostOpts = append(hostOpts, host.WithBcryptCost(m.BcryptCost))
	}
	if m.host, err = host.Open(ctx, cfg.Database.Path, m.log, hostOpts...); err != nil {
		return err
	}
	if m.registry, err = m.newRegistry(); err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	opts := []chatto.Option{chatto.WithRegisterer(m.registry)}
	if m.Clock != nil {
		opts = append(opts, chatto.WithClock(m.Clock))
	}
	// The worker runs even without receivers: /healthz reports the outbox,
	// and deliveries queued under an earlier configuration wait in it.
	hooks, endpoints := outgoingOptions(cfg.Webhooks)
	if m.outgoing, err = outgoing.New(m.store, hooks, m.log); err != nil {
		return fmt.Errorf("server: webhooks: %w", err)
	}
	opts = append(opts, chatto.WithOutgoing(endpoints, m.outgoing.Notify))
	if m.plugin, err = chatto.New(ctx, cfg.LiveKit, m.host, m.store, m.log, opts...); err != nil {
		return err
	}
	m.host.OnMemberRemoved(func(ctx context.Context, roomID, userID string) {
		if err := m.plugin.MemberRemoved(ctx, roomID, userID); err != nil {
			m.log.ErrorContext(ctx, "take a removed member out of the call", "room", roomID, "err", err)
		}
	})

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The client address is the peer's, or what a trusted proxy puts in
	// X-Forwarded-For (proxy.go); from anyone else the forwarding headers
	// are gone before any handler runs.
	e.IPExtractor = m.proxies.clientIP
	e.Pre(m.proxies.dropUntrusted)
	// sendBeacon (leaving as the tab closes) cannot send JSON.
	sameOrigin, err := host.SameOrigin(cfg.Webserver.URL, "/api/rooms/:room/call/leave")
	if err != nil {
		return err
	}
	e.Use(m.accessLog, sameOrigin)
	// Echo's own errors (unknown route, wrong method) answer in the same
	// shape as everything else.
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if !c.Response().Committed {
			chatto.WriteError(c, m.log, err)
		}
	}
	m.plugin.Mount(e)
	m.host.Mount(e)
	e.GET("/healthz", m.healthz)
	e.GET("/readyz", m.readyz)
	e.GET("/metrics", m.metricsHandler())
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
		ConnState:         m.fresh.track,
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.wg.Add(4)
	go func() {
		defer m.wg.Done()
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer m.wg.Done()
		m.plugin.Run(runCtx)
	}()
	go func() {
		defer m.wg.Done()
		m.outgoing.Run(runCtx)
	}()
	go func() {
		defer m.wg.Done()
		m.host.Run(runCtx)
	}()
	m.log.Info("chatto listening", "addr", m.ln.Addr().String(), "url", cfg.Webserver.URL, "calls", cfg.LiveKit.Enabled)
	if n, err := m.host.UserCount(ctx); err == nil && n == 0 {
		m.log.Warn("there are no users yet; add one with: chatto users add <id> --name <name>")
	}
	return nil
}

// shutdown is http.Server.Shutdown without its wait for connections that
// never sent a request: once the listener is closed (Shutdown's first
// step), those are closed every few milliseconds until the in-flight
// requests are done.
func (m *Main) shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- m.srv.Shutdown(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			m.fresh.closeAll()
		}
	}
}

// siteIsHTTPS reports whether browsers reach the site over https, as its
// public URL says (config has checked that it parses).
func siteIsHTTPS(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}

// outgoingOptions splits the [webhooks] section between the delivery
// worker (urls and secrets) and the call service (which events go where);
// an endpoint is named by its url on both sides.
func outgoingOptions(c config.Webhooks) (outgoing.Options, []chatto.OutgoingEndpoint) {
	opts := outgoing.Options{
		MaxAttempts: c.MaxAttempts, Timeout: c.Timeout, Concurrency: c.Concurrency,
		RetryBase: c.RetryBase, RetryMax: c.RetryMax,
	}
	var endpoints []chatto.OutgoingEndpoint
	for _, o := range c.Outgoing {
		opts.Endpoints = append(opts.Endpoints, outgoing.Endpoint{URL: o.URL, Secret: o.Secret})
		endpoints = append(endpoints, chatto.OutgoingEndpoint{Endpoint: o.URL, Events: o.Events})
	}
	return opts, endpoints
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Plugin returns the calls plugin.
func (m *Main) Plugin() *chatto.Plugin { return m.plugin }

// Handler is the server's HTTP handler; benchmarks call it in-process.
func (m *Main) Handler() http.Handler { return m.echo }

// Routes lists every route the server answers; the authorization test
// checks that each has a row in its table.
func (m *Main) Routes() []*echo.Route { return m.echo.Routes() }

// Store returns the event log.
func (m *Main) Store() *eventlog.Store { return m.store }

// Outgoing returns the outgoing webhook worker.
func (m *Main) Outgoing() *outgoing.Worker { return m.outgoing }

// Host returns the embedded host.
func (m *Main) Host() *host.Host { return m.host }

// ShutdownTimeout is how long Close waits for requests in flight before
// it cuts their connections.
const ShutdownTimeout = 10 * time.Second

// Close shuts the server down gracefully, gathering every error. It stops
// taking connections and ends the event streams, each after it has
// written what was queued for it (clients reconnect and refetch), and
// waits up to ShutdownTimeout for requests in flight: a join or webhook
// that is answered has committed its facts, so none is lost. Then it
// stops the background loops (reconcile, timers, outgoing webhooks) and
// closes the database.
func (m *Main) Close() error {
	start := time.Now()
	var errs []error
	if m.host != nil {
		// End the event streams so Shutdown does not wait on them.
		m.host.EndStreams()
	}
	if m.srv != nil {
		// Past the grace window the rest are cut off: every request is
		// safe to retry (LiveKit retries webhooks that got no answer), so
		// a slow one must not hold up a restart.
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		if err := m.shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			m.log.Warn("requests still running after the shutdown timeout; closing their connections", "timeout", ShutdownTimeout)
			errs = append(errs, m.srv.Close())
		} else {
			errs = append(errs, err)
		}
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.host != nil {
		errs = append(errs, m.host.Close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	err := errors.Join(errs...)
	if m.srv != nil {
		m.log.Info("stopped: requests drained, database closed", "took", time.Since(start).Round(time.Millisecond), "err", err)
	}
	return err
}
