// Package migrate applies numbered SQL migrations to a SQLite database.
//
// Each component (the event log, the embedded host) keeps its migrations
// as embedded files named NNNN_what.sql. They are applied in order, each
// in its own transaction together with its row in schema_migrations, so a
// crash leaves a database either before or after a migration, never half
// way through one.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the migrations in dir of fsys. File names must start with a
// positive version number followed by '_' and end in .sql; versions must
// be unique.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", dir, err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrate: %s: name must look like 0001_what.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrate: %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		raw, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(raw)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Apply brings component's schema in db up to date and returns the
// versions it applied: every migration not yet recorded, in version order
// (so one merged late, below a version already applied, still runs). A
// database that records a version this build does not know is refused: it
// was written by a newer release.
func Apply(ctx context.Context, db *sql.DB, component string, migrations []Migration) ([]int, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component  TEXT    NOT NULL,
		version    INTEGER NOT NULL,
		name       TEXT    NOT NULL,
		applied_ms INTEGER NOT NULL,
		PRIMARY KEY (component, version)
	)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := recorded(ctx, db, component)
	if err != nil {
		return nil, err
	}
	known := make(map[int]bool, len(migrations))
	for _, m := range migrations {
		known[m.Version] = true
	}
	for v := range done {
		if !known[v] {
			return nil, fmt.Errorf("migrate: %s schema has version %d, which this build does not know; run a newer release",
				component, v)
		}
	}
	var applied []int
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		if err := applyOne(ctx, db, component, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// Check reports whether component's schema in db is exactly this build's:
// every migration recorded and none this build does not know. It writes
// nothing, for tools that open a database a running server may own and
// must neither upgrade it under that server nor misread it.
func Check(ctx context.Context, db *sql.DB, component string, migrations []Migration) error {
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return fmt.Errorf("migrate: read %s versions: %w", component, err)
	}
	done := map[int]bool{}
	if tables > 0 {
		var err error
		if done, err = recorded(ctx, db, component); err != nil {
			return err
		}
	}
	known := make(map[int]bool, len(migrations))
	var missing []string
	for _, m := range migrations {
		known[m.Version] = true
		if !done[m.Version] {
			missing = append(missing, m.Name)
		}
	}
	for v := range done {
		if !known[v] {
			return fmt.Errorf("migrate: %s schema has version %d, which this build does not know; use the release that wrote it", component, v)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("migrate: %s schema lacks %s; start `chatto serve` of this release once (it upgrades the database as it starts), or use the release that wrote it",
			component, strings.Join(missing, ", "))
	}
	return nil
}

func recorded(ctx context.Context, db *sql.DB, component string) (map[int]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations WHERE component = ?`, component)
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s versions: %w", component, err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read %s versions: %w", component, err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read %s versions: %w", component, err)
	}
	return done, nil
}

func applyOne(ctx context.Context, db *sql.DB, component string, m Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %s %s: begin: %w", component, m.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migrate: %s %s: %w", component, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version, name, applied_ms) VALUES (?, ?, ?, ?)`,
		component, m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migrate: %s %s: record: %w", component, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %s %s: commit: %w", component, m.Name, err)
	}
	return nil
}
