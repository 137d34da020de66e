package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// TestBackupWhileCallsRunRestoresTheSameCallsAndNoEndedKey takes
// `chatto backup` of a running server's database while dave starts and
// ends calls in a loop, then boots a server on the copy: the call that
// ran keeps its id, participant and key, history has the ended call, and
// the copy holds no key of any call it says ended, nor the key a leave
// rotated out before the copy.
func TestBackupWhileCallsRunRestoresTheSameCallsAndNoEndedKey(t *testing.T) {
	// Dave's loop is faster than a person's joins may be.
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.JoinBurst, c.LiveKit.JoinInterval = 1000, time.Millisecond })
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")

	// general runs: alice is connected to LiveKit; bob came and went, so
	// the call's first key was rotated out and shredded.
	ja := alice.Join("general", "laptop")
	room := calltest.Connect(t, ja)
	defer room.Disconnect()
	calltest.Eventually(t, 10*time.Second, "alice connected", func() bool { return calltest.Identities(alice.Call("general"))[ja.Identity] })
	bob.Join("general", "phone")
	bob.Leave("general", "phone")
	var cur chatto.KeyResult
	if st := alice.Do("POST", "/api/rooms/general/call/key", map[string]string{"device_id": "laptop"}, &cur); st != 200 || cur.E2EEKey == ja.E2EEKey {
		t.Fatalf("alice's key after bob left: %d, rotated %v", st, cur.E2EEKey != ja.E2EEKey)
	}
	env.AddKey(cur.E2EEKey)
	// design had a call that ended.
	jc := carol.Join("design", "tablet")
	carol.Leave("design", "tablet")

	keys := map[string][][]byte{} // call id → every key handed out for it
	var mu sync.Mutex
	remember := func(callID, key string) {
		raw, _ := base64.StdEncoding.DecodeString(key)
		mu.Lock()
		keys[callID] = append(keys[callID], raw)
		mu.Unlock()
	}
	remember(jc.CallID, jc.E2EEKey)
	rotatedOut, _ := base64.StdEncoding.DecodeString(ja.E2EEKey)

	// Meanwhile dave's calls in design start and end as fast as he can.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			st, raw := dave.Raw("POST", "/api/rooms/design/call/join", map[string]string{"device_id": "d"})
			var j chatto.JoinResult
			if st != 200 || json.Unmarshal(raw, &j) != nil {
				t.Errorf("dave joins design: %d %s", st, raw)
				return
			}
			remember(j.CallID, j.E2EEKey)
			if st, raw := dave.Raw("POST", "/api/rooms/design/call/leave", map[string]string{"device_id": "d"}); st != 200 {
				t.Errorf("dave leaves design: %d %s", st, raw)
				return
			}
		}
	})
	time.Sleep(300 * time.Millisecond)
	dst := filepath.Join(t.TempDir(), "backup.db")
	conf := writeConfig(t, fmt.Sprintf("[database]\npath = %q\n", env.Config.Database.Path))
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"backup", dst, "-config", conf}, &out, &errOut)
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	env.Observe("output of chatto backup", out.String()+errOut.String())
	if err != nil {
		t.Fatalf("chatto backup: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "integrity_check ok") {
		t.Fatalf("chatto backup printed %q", out.String())
	}
	if err := run(context.Background(), []string{"backup", dst, "-config", conf}, &out, &errOut); err == nil {
		t.Fatal("a second backup overwrote the first")
	}

	// No key of a call the copy says ended, nor the rotated-out key.
	copyDB, err := sql.Open("sqlite", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	endedInCopy := column(t, copyDB, `SELECT call_id FROM events WHERE kind = 'call_ended'`)
	copyDB.Close()
	if len(endedInCopy) < 2 {
		t.Fatalf("the copy has %d ended calls; dave's load did not run during the backup", len(endedInCopy))
	}
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup during load: %s; %d calls ended in the copy", strings.TrimSpace(out.String()), len(endedInCopy))
	for _, id := range endedInCopy {
		for _, k := range keys[id] {
			if bytes.Contains(raw, k) {
				t.Errorf("the backup holds the key of call %s, which ended before it", id)
			}
		}
	}
	if bytes.Contains(raw, rotatedOut) {
		t.Error("the backup holds general's first key, rotated out before it")
	}
	if k, _ := base64.StdEncoding.DecodeString(cur.E2EEKey); !bytes.Contains(raw, k) {
		t.Error("the backup lacks the running call's key, so it cannot be restored (or the scan is blind)")
	}

	// Restore: stop, put the copy in place of the database, start.
	env.StopServer()
	restored := filepath.Join(t.TempDir(), "chatto.db")
	if err := os.Rename(dst, restored); err != nil {
		t.Fatal(err)
	}
	env.Config.Database.Path = restored
	env.StartServer()
	alice, carol = env.Login("alice"), env.Login("carol")
	calltest.Eventually(t, 10*time.Second, "general's call, with alice connected, after the restore", func() bool {
		v := alice.Call("general")
		return v != nil && v.ID == ja.CallID && len(v.Participants) == 1 && calltest.Identities(v)[ja.Identity]
	})
	var again chatto.KeyResult
	if st := alice.Do("POST", "/api/rooms/general/call/key", map[string]string{"device_id": "laptop"}, &again); st != 200 ||
		again.E2EEKey != cur.E2EEKey || again.E2EEKeyIndex != cur.E2EEKeyIndex {
		t.Fatalf("alice's key after the restore: %d, same %v", st, again.E2EEKey == cur.E2EEKey)
	}
	// Every call the copy ended is in design's history.
	inHistory := map[string]bool{}
	for path := "/api/rooms/design/calls?limit=100"; ; {
		var page chatto.HistoryPage
		if st := carol.Do("GET", path, nil, &page); st != 200 {
			t.Fatalf("design's history: %d", st)
		}
		for _, h := range page.Calls {
			inHistory[h.ID] = true
		}
		if page.Next == nil {
			break
		}
		path = "/api/rooms/design/calls?limit=100&before=" + *page.Next
	}
	for _, id := range endedInCopy {
		if !inHistory[id] {
			t.Errorf("call %s ended in the copy but is not in design's history after the restore", id)
		}
	}
	var integrity string
	db, err := sql.Open("sqlite", eventlog.DSN(restored))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check of the restored database: %q %v", integrity, err)
	}
}
