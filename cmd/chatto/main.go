// Command chatto runs the standalone chat server with voice and video
// calls.
//
//	chatto dev            start a loopback LiveKit, then serve (the quick start; seeds demo users)
//	chatto serve          serve with the LiveKit configured in chatto.toml / env
//	chatto livekit-yaml   print the webhook block for livekit.yaml
//	chatto config check   load and validate the configuration, then exit (also: check-config)
//	chatto users ...      add, change the password of, or remove a user
//	chatto rooms ...      add a room, list or change its members
//	chatto calls ...      list the running calls, replay a call's history, end a call
//	chatto backup <file>  write a consistent copy of the database while it runs
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/internal/lkserver"
	"github.com/chattocalls/chatto/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal a second one stops the process at once, in
	// case the graceful shutdown hangs.
	context.AfterFunc(ctx, stop)
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := c.run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chatto:", err)
		os.Exit(1)
	}
}

// cli is one invocation's input and output.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// hostOpts are added when a command opens the host (tests lower the
	// bcrypt cost).
	hostOpts []host.Option
	// server adjusts the server before it runs (tests lower the bcrypt
	// cost).
	server func(*server.Main)
}

func (c *cli) run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "users", "rooms":
		return c.admin(ctx, cmd, args)
	case "calls":
		return c.calls(ctx, args)
	case "backup":
		return c.backup(ctx, args)
	case "config":
		// "config check" is "check-config" under the name other tools use.
		if len(args) == 0 || args[0] != "check" {
			return errors.New("chatto config: want \"chatto config check\"")
		}
		cmd, args = "check-config", args[1:]
	}
	stdout, stderr := c.stdout, c.stderr
	fs := flag.NewFlagSet("chatto "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", defaultConfigPath(), "path to chatto.toml (empty: defaults and CHATTO_* env only)")
	lkPort := fs.Int("livekit-port", 7880, "dev: LiveKit signalling port on 127.0.0.1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	switch cmd {
	case "check-config":
		log.Info("configuration is valid", "config", cfg)
		return nil
	case "livekit-yaml":
		fmt.Fprint(stdout, cfg.LiveKitYAML())
		return nil
	case "serve":
		return c.serve(ctx, cfg, log, false)
	case "dev":
		return c.dev(ctx, cfg, *lkPort, log)
	}
	return fmt.Errorf("unknown command %q (want serve, dev, livekit-yaml, config check, users, rooms, calls or backup)", cmd)
}

func defaultConfigPath() string {
	if _, err := os.Stat("chatto.toml"); err == nil {
		return "chatto.toml"
	}
	return ""
}

// serve runs the server until ctx ends; demo seeds the demo users and
// rooms into a database without users.
func (c *cli) serve(ctx context.Context, cfg config.Config, log *slog.Logger, demo bool) error {
	m := server.New(cfg, log)
	m.Demo = demo
	if demo {
		// The dev terminal is for someone trying the product: the
		// settings and every request are there at debug level, and the
		// last lines say what to open.
		log.Debug("starting", "config", cfg)
		m.RequestLogLevel = slog.LevelDebug
	} else {
		log.Info("starting", "config", cfg)
	}
	if c.server != nil {
		c.server(m)
	}
	if err := m.Run(ctx); err != nil {
		return err
	}
	if demo {
		fmt.Fprintf(c.stdout, "\nChatto is running: open %s in two browsers (or a normal and a private window).\n"+
			"Sign in as alice, bob, carol or dave, password \"demo\" (seeded into a new database only).\n"+
			"Rooms: general, design and alice-bob (a direct room: Video call rings the other side). Ctrl-C stops.\n",
			cfg.Webserver.URL)
	}
	<-ctx.Done()
	log.Info("shutting down: draining event streams and requests in flight", "timeout", server.ShutdownTimeout)
	return m.Close()
}

// dev builds (once) and starts the pinned livekit-server on loopback with
// a fresh key pair and webhooks pointed at this server, then serves with
// the demo users and rooms.
func (c *cli) dev(ctx context.Context, cfg config.Config, port int, log *slog.Logger) error {
	secret := make([]byte, 24)
	rand.Read(secret)
	lk := &cfg.LiveKit
	lk.Enabled, lk.APIKey, lk.APISecret = true, "devkey", hex.EncodeToString(secret)
	if !lkserver.Cached() {
		log.Info("building livekit-server once (about 3 minutes; later starts use the cached binary)", "version", lkserver.Version)
	}
	log.Info("starting livekit-server on loopback", "version", lkserver.Version, "port", port)
	srv, err := lkserver.Start(ctx, lkserver.Options{
		APIKey: lk.APIKey, APISecret: lk.APISecret, WebhookURLs: []string{lk.WebhookURL},
		Port: port, Stderr: os.Stderr,
	})
	if err != nil {
		return fmt.Errorf("start livekit-server: %w", err)
	}
	defer srv.Stop()
	lk.URL, lk.InternalURL = srv.URL(), srv.HTTPURL()
	if err := lk.Validate(); err != nil {
		return err
	}
	err = c.serve(ctx, cfg, log, true)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
