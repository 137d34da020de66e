package migrate

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestLoadOrdersByVersionAndRejectsBadNames(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"m/0010_c.sql": {Data: []byte("c")},
		"m/0002_b.sql": {Data: []byte("b")},
		"m/0001_a.sql": {Data: []byte("a")},
		"m/README":     {Data: []byte("ignored")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range ms {
		got = append(got, m.Version)
	}
	if !slices.Equal(got, []int{1, 2, 10}) {
		t.Fatalf("versions = %v", got)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no number": {"m/init.sql": {}},
		"zero":      {"m/0000_x.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/01_b.sql": {}},
	} {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
}

func TestApplyRunsEachMigrationOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ms := []Migration{
		{1, "0001_t.sql", `CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('one');`},
		{2, "0002_t.sql", `INSERT INTO t VALUES ('two');`},
	}
	if got, err := Apply(ctx, db, "x", ms[:1]); err != nil || !slices.Equal(got, []int{1}) {
		t.Fatalf("first apply = %v, %v", got, err)
	}
	if got, err := Apply(ctx, db, "x", ms); err != nil || !slices.Equal(got, []int{2}) {
		t.Fatalf("second apply = %v, %v", got, err)
	}
	if got, err := Apply(ctx, db, "x", ms); err != nil || len(got) != 0 {
		t.Fatalf("third apply = %v, %v", got, err)
	}
	// Another component keeps its own versions in the same table.
	if got, err := Apply(ctx, db, "y", []Migration{{1, "0001_u.sql", `CREATE TABLE u (v TEXT)`}}); err != nil || !slices.Equal(got, []int{1}) {
		t.Fatalf("component y = %v, %v", got, err)
	}
	var vals []string
	rows, _ := db.QueryContext(ctx, `SELECT v FROM t ORDER BY rowid`)
	for rows.Next() {
		var v string
		rows.Scan(&v)
		vals = append(vals, v)
	}
	rows.Close()
	if !slices.Equal(vals, []string{"one", "two"}) {
		t.Fatalf("rows = %v", vals)
	}
}

func TestFailedMigrationLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ms := []Migration{
		{1, "0001_t.sql", `CREATE TABLE t (v TEXT)`},
		{2, "0002_bad.sql", `INSERT INTO t VALUES ('half'); INSERT INTO nosuchtable VALUES (1);`},
	}
	got, err := Apply(ctx, db, "x", ms)
	if err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("Apply = %v, %v; want an error naming 0002_bad.sql", got, err)
	}
	if !slices.Equal(got, []int{1}) {
		t.Fatalf("applied before the failure = %v, want [1]", got)
	}
	var n, version int
	db.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n)
	db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version)
	if n != 0 || version != 1 {
		t.Fatalf("after a failed migration: %d rows in t, version %d; want 0 and 1", n, version)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ms := []Migration{{1, "0001_t.sql", `CREATE TABLE t (v TEXT)`}, {2, "0002_t.sql", `SELECT 1`}}
	if _, err := Apply(ctx, db, "x", ms); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, db, "x", ms[:1]); err == nil || !strings.Contains(err.Error(), "newer release") {
		t.Fatalf("an older build opened a newer database: %v", err)
	}
}

func TestAMigrationMergedBelowAnAppliedOneStillRuns(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	one := Migration{1, "0001_t.sql", `CREATE TABLE t (v TEXT)`}
	three := Migration{3, "0003_t.sql", `INSERT INTO t VALUES ('three')`}
	two := Migration{2, "0002_u.sql", `CREATE TABLE u (v TEXT)`}
	if got, err := Apply(ctx, db, "x", []Migration{one, three}); err != nil || !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("first apply = %v, %v", got, err)
	}
	if got, err := Apply(ctx, db, "x", []Migration{one, two, three}); err != nil || !slices.Equal(got, []int{2}) {
		t.Fatalf("apply with 0002 added later = %v, %v; want [2]", got, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO u VALUES ('ok')`); err != nil {
		t.Fatalf("table of the late migration is missing: %v", err)
	}
}

func TestCheckAcceptsOnlyThisBuildsSchemaAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ms := []Migration{
		{1, "0001_t.sql", `CREATE TABLE t (v TEXT)`},
		{2, "0002_u.sql", `CREATE TABLE u (v TEXT)`},
	}
	tables := func() int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := Check(ctx, db, "x", ms); err == nil || !strings.Contains(err.Error(), "0001_t.sql, 0002_u.sql") {
		t.Fatalf("check of an empty database = %v, want both migrations named as lacking", err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("check created %d tables", n)
	}
	if _, err := Apply(ctx, db, "x", ms[:1]); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, db, "x", ms); err == nil || !strings.Contains(err.Error(), "lacks 0002_u.sql;") || !strings.Contains(err.Error(), "chatto serve") {
		t.Fatalf("check of an older schema = %v, want 0002 named and the way to upgrade", err)
	}
	if n := tables(); n != 2 { // t and schema_migrations: nothing applied
		t.Fatalf("check changed the schema: %d tables", n)
	}
	if _, err := Apply(ctx, db, "x", ms); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, db, "x", ms); err != nil {
		t.Fatalf("check of the current schema = %v", err)
	}
	if err := Check(ctx, db, "x", ms[:1]); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("check by an older build = %v, want version 2 named", err)
	}
}
