package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chattocalls/chatto/eventlog"
)

// copyFixture copies a database file an older release wrote into a
// temporary directory and returns a config that points at it.
func copyFixture(t *testing.T, fixture string) (config, db string) {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(t.TempDir(), "chatto.db")
	if err := os.WriteFile(db, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, "[database]\npath = \""+db+"\"\n"), db
}

// schemaOf lists the database's tables and recorded migrations.
func schemaOf(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", eventlog.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := column(t, db, `SELECT 'table ' || name FROM sqlite_master WHERE type = 'table'`)
	if slices.Contains(out, "table schema_migrations") {
		out = append(out, column(t, db, `SELECT component || ' ' || version FROM schema_migrations`)...)
	}
	slices.Sort(out)
	return out
}

// column runs query and returns its one text column.
func column(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The admin commands open a database a running server may own: one an
// older release wrote is refused with the way to upgrade it, and left as
// it was, so a newer CLI never migrates it under an older server.
func TestAdminCommandsNeverUpgradeTheDatabase(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		args    []string
	}{
		{"../../eventlog/testdata/v1.db", []string{"calls", "list"}},
		{"../../eventlog/testdata/v1.db", []string{"calls", "replay", "0123456789abcdef01234567"}},
		{"../../eventlog/testdata/v1.db", []string{"backup", "BACKUP"}},
		{"../../internal/host/testdata/v1.db", []string{"users", "rm", "alice"}},
		{"../../internal/host/testdata/v1.db", []string{"rooms", "add", "newroom", "-members", "alice"}},
	} {
		t.Run(strings.Join(tc.args[:2], " "), func(t *testing.T) {
			cfg, db := copyFixture(t, tc.fixture)
			before := schemaOf(t, db)
			backup := filepath.Join(t.TempDir(), "backup.db")
			args := slices.Clone(tc.args)
			if i := slices.Index(args, "BACKUP"); i >= 0 {
				args[i] = backup
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), append(args, "-config", cfg), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "lacks") || !strings.Contains(err.Error(), "chatto serve") {
				t.Fatalf("%v on an older database: %v, want a refusal saying how to upgrade", tc.args, err)
			}
			if after := schemaOf(t, db); !slices.Equal(before, after) {
				t.Fatalf("the schema changed:\nbefore %v\nafter  %v", before, after)
			}
			if _, err := os.Stat(backup); !os.IsNotExist(err) {
				t.Fatalf("a backup file was written: %v", err)
			}
		})
	}
}
