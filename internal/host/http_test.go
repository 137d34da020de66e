package host

import (
	"context"
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
