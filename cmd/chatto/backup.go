package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/config"
)

const backupUsage = `usage:
  chatto backup <file> [-config path]
Writes a consistent copy of the database (database.path) to <file>, which
must not exist, while the server keeps running. The copy holds the keys of
the calls running at that moment: keep it like the database itself. To
restore: stop the server, copy <file> to database.path, delete the old
database's -wal and -shm files, start the server.`

// backup runs "chatto backup <file>".
func (c *cli) backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("chatto backup", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, backupUsage) }
	path := fs.String("config", defaultConfigPath(), "path to chatto.toml (empty: defaults and CHATTO_* env only)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprintln(c.stderr, backupUsage)
		return errors.New("chatto backup: want the file to write")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Database.Path); err != nil {
		return fmt.Errorf("chatto backup: no database at %s (database.path): %w", cfg.Database.Path, err)
	}
	store, err := eventlog.OpenCurrent(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer store.Close()
	info, err := store.Backup(ctx, pos[0])
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "wrote %s: %d bytes, %d facts, %d running calls; integrity_check ok\n",
		pos[0], info.Bytes, info.Events, info.RunningCalls)
	return err
}
