package chatto_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
)

// fuzzRoutes are the plugin's endpoints that take a body, by the path
// after /api/rooms/<room>/; "end" takes none and must ignore one.
var fuzzRoutes = []string{
	"call/join", "call/token", "call/leave", "call/decline", "call/invite", "call/merge",
	"call/participants/bob%23b", "call/participants/bob%23b/mute", "call/hand", "call/end",
}

// FuzzCallRequestBodies posts arbitrary bodies to the call endpoints as a
// signed-in member. Nothing answers 5xx or panics; every error is the JSON
// error shape; a body over 4 KiB is 413 and one that is not JSON is 400.
func FuzzCallRequestBodies(f *testing.F) {
	fx := newFuzzPlugin(f)
	fx.ensureCall(f, "general")
	for i, body := range []string{
		`{"device_id":"a","type":"audio"}`, `{"device_id":"b"}`, `{}`, ``, `  `, `null`,
		`{"reason":"busy"}`, `{"user_id":"carol"}`, `{"into_room":"general"}`,
		`{"role":"listener"}`, `{"source":"microphone"}`, `{"raised":true,"identity":"bob#b"}`,
		`{"device_id":5}`, `[]`, `"x"`, `{"raised":"yes"}`, `{"device_id":"a"} trailing`,
		`{"device_id":"` + string(bytes.Repeat([]byte("a"), 4100)) + `"}`, "\xff\xfe", `{"device_id":"a#b/../c"}`,
	} {
		f.Add(uint8(i), uint8(i%3), []byte(body), "application/json")
	}
	f.Add(uint8(2), uint8(0), []byte(`{"device_id":"a"}`), "text/plain;charset=UTF-8") // sendBeacon
	rooms := []string{"general", "alice-bob", "nosuchroom"}
	f.Fuzz(func(t *testing.T, route, room uint8, body []byte, contentType string) {
		defer watchdog(10 * time.Second)()
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest("POST", "/api/rooms/"+rooms[int(room)%len(rooms)]+"/"+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer alice")
		w := fx.serve(req)
		checkAnswer(t, w)
		if path == "call/end" {
			return
		}
		trimmed := bytes.TrimSpace(body)
		switch {
		case len(body) > 4096:
			if w.Code != 413 {
				t.Fatalf("%d-byte body to %s: status %d %q, want 413", len(body), path, w.Code, w.Body)
			}
		case len(trimmed) > 0 && !json.Valid(body):
			if w.Code != 400 || checkErrorShape(t, w) != chatto.EINVALID {
				t.Fatalf("body that is not JSON to %s: status %d %q, want 400 invalid", path, w.Code, w.Body)
			}
		}
	})
}

// FuzzHistoryParams asks for call histories with arbitrary limit and
// before parameters: 200 with a page or 400 in the error shape, never a
// 5xx or a panic.
func FuzzHistoryParams(f *testing.F) {
	fx := newFuzzPlugin(f)
	for _, p := range [][2]string{
		{"", ""}, {"1", ""}, {"100", ""}, {"101", ""}, {"0", ""}, {"-1", ""}, {"abc", ""}, {"+5", "7"},
		{"", "1"}, {"", "0"}, {"", "-3"}, {"", "9223372036854775807"}, {"", "9223372036854775808"},
		{"99999999999999999999", ""}, {"1e3", "x"}, {"", "1 OR 1=1"},
	} {
		f.Add(p[0], p[1], false)
		f.Add(p[0], p[1], true)
	}
	f.Fuzz(func(t *testing.T, limit, before string, all bool) {
		defer watchdog(10 * time.Second)()
		q := url.Values{}
		if limit != "" {
			q.Set("limit", limit)
		}
		if before != "" {
			q.Set("before", before)
		}
		path := "/api/rooms/general/calls?"
		if all {
			path = "/api/calls/history?"
		}
		req := httptest.NewRequest("GET", path+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer alice")
		w := fx.serve(req)
		checkAnswer(t, w)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("limit %q before %q: status %d %q, want 200 or 400", limit, before, w.Code, w.Body)
		}
		if limit == "" && before == "" && w.Code != 200 {
			t.Fatalf("no parameters: status %d %q", w.Code, w.Body)
		}
	})
}

// checkAnswer fails on a 5xx, on an error that is not the JSON error
// shape, and on a success that is not JSON.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	switch {
	case w.Code >= 500:
		t.Fatalf("status %d: %q", w.Code, w.Body)
	case w.Code >= 400:
		code := checkErrorShape(t, w)
		if (w.Code == 400) != (code == chatto.EINVALID) || (w.Code == 413) != (code == chatto.ETOOLARGE) {
			t.Fatalf("status %d with code %q", w.Code, code)
		}
	case !json.Valid(w.Body.Bytes()):
		t.Fatalf("status %d with a body that is not JSON: %q", w.Code, w.Body)
	}
}
