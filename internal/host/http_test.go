package host

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chattocalls/chatto/chatto"
)

// Leaving a room takes no arguments; a body that is not empty or {} is
// refused before anything changes, not ignored.
func TestLeavingARoomWithAMalformedBodyIsInvalidAndLeavesNothing(t *testing.T) {
	s := newSite(t)
	token := s.mustLogin("bob")
	member := func() bool {
		t.Helper()
		ok, err := s.h.IsMember(context.Background(), "general", "bob")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, body := range []string{`{"x":`, `{"x":1}`, `[]`, `"general"`, `5`, `null`, `{} {}`, "\xff"} {
		st, code, _ := s.do(request{method: "POST", path: "/api/rooms/general/leave", body: body, bearer: token, contentType: "application/json"})
		if st != 400 || code != chatto.EINVALID {
			t.Errorf("leave with body %q = %d %s, want 400 %s", body, st, code, chatto.EINVALID)
		}
		if !member() {
			t.Fatalf("leave with body %q took bob out of the room", body)
		}
	}
	// What clients send: nothing, or an empty object.
	for room, body := range map[string]string{"general": "", "design": " {} "} {
		if st, code, _ := s.do(request{method: "POST", path: "/api/rooms/" + room + "/leave", body: body, bearer: token, contentType: "application/json"}); st != 204 {
			t.Fatalf("leave %s with body %q = %d %s, want 204", room, body, st, code)
		}
	}
	if member() {
		t.Fatal("bob is still in general after leaving it")
	}
}

// Removing a member takes no arguments either.
func TestRemovingAMemberWithAMalformedBodyRemovesNobody(t *testing.T) {
	s := newSite(t)
	token := s.mustLogin("alice") // general's admin
	st, code, _ := s.do(request{method: "DELETE", path: "/api/rooms/general/members/carol", body: `{"user":"carol"}`, bearer: token, contentType: "application/json"})
	if st != 400 || code != chatto.EINVALID {
		t.Fatalf("removal with a body = %d %s, want 400 %s", st, code, chatto.EINVALID)
	}
	if ok, _ := s.h.IsMember(context.Background(), "general", "carol"); !ok {
		t.Fatal("a refused removal removed carol")
	}
}

// Every route that reads a body answers 413 payload_too_large, in the
// error shape, for one over its limit, and does nothing. The bodies are
// valid JSON the route would take at a smaller size.
func TestBodiesOverTheLimitAre413AndChangeNothing(t *testing.T) {
	s := newSite(t)
	alice, bob := s.mustLogin("alice"), s.mustLogin("bob")
	padded := func(n int) string { return "{" + strings.Repeat(" ", n) + "}" }
	tests := []struct {
		name, method, path, token, body string
	}{
		{"sign-in", "POST", "/api/login", "",
			`{"user":"alice","password":"` + strings.Repeat("p", maxBody) + `"}`},
		{"sign-out", "POST", "/api/logout", bob, padded(maxBody)},
		{"message", "POST", "/api/rooms/general/messages", bob,
			`{"text":"` + strings.Repeat(`\"`, 2000) + `"}` + strings.Repeat(" ", maxMessageBody)},
		{"room leave", "POST", "/api/rooms/general/leave", bob, padded(maxBody)},
		{"member removal", "DELETE", "/api/rooms/general/members/carol", alice, padded(maxBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, rec := s.do(request{method: tt.method, path: tt.path, body: tt.body, bearer: tt.token,
				contentType: "application/json", origin: siteURL, addr: "192.0.2.9"})
			var shape struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &shape); err != nil || st != 413 ||
				shape.Error.Code != chatto.ETOOLARGE || shape.Error.Message == "" {
				t.Fatalf("%d bytes = %d %s, want 413 with {\"error\":{\"code\":%q,\"message\":…}}", len(tt.body), st, rec.Body, chatto.ETOOLARGE)
			}
			if len(rec.Result().Cookies()) != 0 {
				t.Fatalf("a refused request set cookies: %v", rec.Result().Cookies())
			}
		})
	}
	if s.me(bob) != 200 {
		t.Error("a refused sign-out ended bob's session")
	}
	ctx := context.Background()
	for _, user := range []string{"bob", "carol"} {
		if ok, _ := s.h.IsMember(ctx, "general", user); !ok {
			t.Errorf("a refused leave or removal took %s out of general", user)
		}
	}
	msgs, err := s.h.Messages(ctx, "general", 200)
	if err != nil || len(msgs) != 0 {
		t.Errorf("messages after a refused post = %+v, %v", msgs, err)
	}
}

// The message limit leaves room for the longest text however JSON
// escapes it: 4000 characters that each take six bytes.
func TestTheLongestMessageFitsItsBodyLimit(t *testing.T) {
	s := newSite(t)
	body, _ := json.Marshal(map[string]string{"text": strings.Repeat("<", 4000)}) // each \u003c
	st, code, _ := s.do(request{method: "POST", path: "/api/rooms/general/messages", body: string(body),
		bearer: s.mustLogin("bob"), contentType: "application/json"})
	if st != 200 {
		t.Fatalf("a %d-byte message body of 4000 characters = %d %s, want 200", len(body), st, code)
	}
}
