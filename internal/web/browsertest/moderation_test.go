package browsertest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/livekit"
)

// rowOf selects a user's entry in a page's participant list.
func rowOf(user string) string { return fmt.Sprintf(`#participant-list li[data-user=%q]`, user) }

// menuItem selects an item of the open person menu.
func menuItem(class string) string { return "#person-menu ." + class }

// openPersonMenu opens a user's moderation menu from their entry in the
// people panel, opening the panel first.
func (p *Page) openPersonMenu(user string) {
	p.t.Helper()
	if p.EvalString(`document.getElementById('people-toggle').getAttribute('aria-pressed')`) != "true" {
		p.Click("#people-toggle")
	}
	p.Click(rowOf(user) + " .p-menu")
	p.Wait(5*time.Second, user+"'s menu", `!document.getElementById('person-menu').hidden`)
}

// moderate picks an item (by class) of a user's moderation menu.
func (p *Page) moderate(user, class string) {
	p.t.Helper()
	p.openPersonMenu(user)
	p.Wait(5*time.Second, "an enabled "+class, enabled(menuItem(class)))
	p.Click(menuItem(class))
}

// rowAttr is a JS expression for a data attribute of a user's entry.
func rowAttr(user, attr string) string {
	return fmt.Sprintf(`((document.querySelector(%q) || {dataset: {}}).dataset[%q] || '')`, rowOf(user), attr)
}

// enabled is a JS expression: the element is there and not disabled.
func enabled(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.disabled })()`, sel)
}

// publishButtonsDisabled is a JS condition: the page offers no way to publish.
const publishButtonsDisabled = `['mic-toggle', 'cam-toggle', 'screen-toggle'].every(id => document.getElementById(id).disabled && document.getElementById(id).getClientRects().length === 0)
	&& !document.getElementById('listener-note').hidden`

// publishButtonsEnabled is a JS condition: microphone, camera and screen
// buttons work again and the listener note is gone.
const publishButtonsEnabled = `['mic-toggle', 'cam-toggle', 'screen-toggle'].every(id => !document.getElementById(id).disabled)
	&& document.getElementById('listener-note').hidden`

// livekitTracks lists what LiveKit's RoomService says a participant
// publishes in a room's current call.
func livekitTracks(t *testing.T, env *calltest.Env, room, identity string) []*lkproto.TrackInfo {
	t.Helper()
	v := env.Login("alice").Call(room)
	if v == nil {
		t.Fatalf("no call in %s", room)
	}
	rs := lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := rs.GetParticipant(ctx, &lkproto.RoomParticipantIdentity{Room: livekit.RoomName(env.Service().ServerID(), room, v.ID), Identity: identity})
	if err != nil {
		t.Fatalf("livekit participant %s: %v", identity, err)
	}
	return p.Tracks
}

// inGeneral signs users in, opens "general" and joins its call, in order.
func inGeneral(t *testing.T, env *calltest.Env, users ...string) []*Page {
	t.Helper()
	pages := signedIn(t, env, users...)
	waitStreams(pages...)
	for _, p := range pages {
		p.OpenRoom("general")
		p.Join()
	}
	for _, p := range pages {
		p.Wait(20*time.Second, "everybody in the participant list",
			fmt.Sprintf(`document.querySelectorAll('#participant-list li').length === %d`, len(users)))
	}
	return pages
}

// Alice (admin of general) mutes Bob's microphone from the participant
// list: LiveKit mutes the track, Bob's page shows its microphone muted,
// Alice's page shows Bob's tile muted; Bob may unmute himself. Bob, a
// plain member, has no moderation buttons.
func TestAdminMutesAParticipantsMicrophoneFromTheList(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	pages := inGeneral(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	bobID := bob.Call().Identity
	alice.Wait(20*time.Second, "bob's microphone is live on alice's page", tileAttr("bob", "mic")+` === 'on'`)
	bob.Wait(2*time.Second, "a plain member sees no moderation buttons", noModeration)
	mark("both in the call")

	alice.moderate("bob", "act-mute-mic")
	bob.Wait(10*time.Second, "bob's page shows his microphone muted by an admin",
		`document.getElementById('mic-toggle').textContent === 'Unmute microphone' && window.__chattoDebug.call().adminMuted === 'microphone'`)
	alice.Wait(10*time.Second, "alice's page shows bob muted", tileAttr("bob", "mic")+` === 'off'`)
	calltest.Eventually(t, 5*time.Second, "LiveKit has bob's microphone muted", func() bool {
		for _, tr := range livekitTracks(t, env, "general", bobID) {
			if tr.Source == lkproto.TrackSource_MICROPHONE {
				return tr.Muted
			}
		}
		return false
	})
	if got := alice.EvalString(`document.getElementById('participants-error').textContent`); got != "" {
		alice.fail("moderation error after a mute that worked: %q", got)
	}
	mark("muted by alice")

	// A muted participant may unmute (a speaker is not silenced for good).
	bob.Click("#mic-toggle")
	bob.Wait(10*time.Second, "bob unmuted himself", `document.getElementById('mic-toggle').textContent === 'Mute microphone'`)
	alice.Wait(10*time.Second, "alice hears bob again", tileAttr("bob", "mic")+` === 'on'`)

	// The camera goes the same way.
	alice.Wait(5*time.Second, "bob's camera is on", tileAttr("bob", "camera")+` === 'on'`)
	alice.moderate("bob", "act-mute-camera")
	bob.Wait(10*time.Second, "bob's page shows his camera off", `document.getElementById('cam-toggle').textContent === 'Turn camera on'`)
	alice.Wait(10*time.Second, "alice's page shows bob's camera off", tileAttr("bob", "camera")+` === 'off'`)
	mark("camera muted")

	// LiveKit's connection quality reaches the tiles and the list; on
	// loopback it is good, so no warning banner shows.
	alice.Wait(20*time.Second, "bob's connection quality on alice's page",
		`['excellent', 'good'].includes(`+tileAttr("bob", "quality")+`) && `+rowAttr("bob", "quality")+` === `+tileAttr("bob", "quality"))
	bob.Wait(2*time.Second, "no connection banner on a good connection", `document.getElementById('call-banner').hidden`)
}

// Carol and then Bob raise their hands: every page shows the hands on the
// tiles and puts them first in the list, in the order they went up. Carol
// lowers hers; Alice (admin) lowers Bob's, and Bob's own toggle follows.
func TestRaisedHandsShowOnEveryPageAndAnAdminLowersThem(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	pages := inGeneral(t, env, "alice", "bob", "carol")
	alice, bob, carol := pages[0], pages[1], pages[2]
	order := `[...document.querySelectorAll('#participant-list li')].map(li => li.dataset.user).join()`
	alice.Wait(5*time.Second, "the list in joining order", order+` === 'alice,bob,carol'`)

	carol.Click("#hand-toggle")
	carol.Wait(5*time.Second, "carol's toggle reads Lower hand", `document.getElementById('hand-toggle').textContent === 'Lower hand'
		&& document.getElementById('hand-toggle').getAttribute('aria-pressed') === 'true'`)
	alice.Wait(5*time.Second, "alice sees carol's hand", tileAttr("carol", "hand")+` === 'raised' && `+rowAttr("carol", "hand")+` === 'raised'`)
	bob.Click("#hand-toggle")
	for _, p := range []*Page{alice, bob, carol} {
		p.Wait(5*time.Second, "raised hands first, earliest first", order+` === 'carol,bob,alice'`+
			` && `+tileAttr("bob", "hand")+` === 'raised' && `+tileAttr("carol", "hand")+` === 'raised' && `+tileAttr("alice", "hand")+` === 'down'`)
	}
	mark("two hands up")
	alice.Screenshot(filepath.Join(t.ArtifactDir(), "raised-hands.png"))

	carol.Click("#hand-toggle")
	alice.Wait(5*time.Second, "carol's hand goes down on alice's page", tileAttr("carol", "hand")+` === 'down' && `+order+` === 'bob,alice,carol'`)

	bob.Wait(2*time.Second, "bob has no Lower hand button for others", noModeration)
	alice.moderate("bob", "act-lower-hand")
	bob.Wait(5*time.Second, "bob's toggle follows the admin", `document.getElementById('hand-toggle').textContent === 'Raise hand'`+` && `+tileAttr("bob", "hand")+` === 'down'`)
	carol.Wait(5*time.Second, "carol sees bob's hand down", tileAttr("bob", "hand")+` === 'down'`)
	if v := env.Login("alice").Call("general"); v != nil {
		for _, p := range v.Participants {
			if p.HandRaisedAt != nil {
				t.Fatalf("after lowering, %s's hand is still up in the call view", p.Identity)
			}
		}
	}
	mark("hands down")
}

// Bob joins as a listener: his page publishes nothing and its microphone,
// camera and screen buttons are disabled with an explanation. Alice
// (admin) makes him a speaker from the list; his page enables the buttons
// without rejoining and his microphone reaches Alice, encrypted. Made a
// listener again, his page unpublishes everything and disables the
// buttons, still on the same LiveKit connection.
func TestAdminSwitchesRolesLiveWithoutRejoining(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	alice.OpenRoom("general")
	bob.OpenRoom("general")
	alice.Join()
	bob.Click(bob.joinButton())
	bob.Wait(5*time.Second, "the pre-join dialog", prejoinOpen)
	bob.Click("#prejoin-listener")
	bob.Click("#prejoin-join")
	bob.WaitState("connected", 30*time.Second)
	bobID := bob.Call().Identity
	bob.Wait(5*time.Second, "a listener's page cannot publish", publishButtonsDisabled+
		` && window.__chattoDebug.call().role === 'listener' && document.getElementById('call').dataset.role === 'listener'`)
	alice.Wait(20*time.Second, "alice lists bob as a listener with no tracks", rowAttr("bob", "role")+` === 'listener'`+
		` && `+tileAttr("bob", "role")+` === 'listener'`+
		` && window.__chattoDebug.tiles().find(t => t.identity.startsWith('bob#')).tracks.length === 0`)
	if tr := livekitTracks(t, env, "general", bobID); len(tr) != 0 {
		t.Fatalf("a listener publishes %d tracks in LiveKit", len(tr))
	}
	mark("bob joined as a listener")

	alice.openPersonMenu("bob")
	alice.Wait(5*time.Second, "a Make speaker item", `document.querySelector('`+menuItem("act-role")+`').textContent === 'Make speaker'`)
	alice.Click(menuItem("act-role"))
	bob.Wait(10*time.Second, "bob's page may publish again", publishButtonsEnabled+` && window.__chattoDebug.call().role === 'speaker'`)
	alice.Wait(5*time.Second, "alice lists bob as a speaker", rowAttr("bob", "role")+` === 'speaker'`)
	bob.Click("#mic-toggle")
	alice.Wait(20*time.Second, "bob's microphone reaches alice, encrypted", `(() => {
		const t = window.__chattoDebug.tiles().find(t => t.identity.startsWith('bob#'));
		return !!t && t.tracks.some(tr => tr.source === 'microphone' && tr.subscribed && tr.encrypted && !tr.muted);
	})()`)
	mark("bob promoted and speaking")

	alice.moderate("bob", "act-role")
	bob.Wait(10*time.Second, "bob's page is a listener again and unpublished everything", publishButtonsDisabled+
		` && window.__chattoDebug.tiles().find(t => t.local).tracks.length === 0`)
	alice.Wait(10*time.Second, "alice no longer receives bob's microphone",
		`window.__chattoDebug.tiles().find(t => t.identity.startsWith('bob#')).tracks.length === 0`)
	calltest.Eventually(t, 5*time.Second, "LiveKit has no track of bob's", func() bool { return len(livekitTracks(t, env, "general", bobID)) == 0 })
	if c := bob.Call(); c.Identity != bobID || c.State != "connected" {
		bob.fail("after the role changes bob's call is %+v, want the same identity, connected", c)
	}
	var connects int
	bob.Eval(`window.__chattoDebug.call().connects`, &connects)
	if connects != 1 {
		bob.fail("bob's page connected to LiveKit %d times, want once (no rejoin)", connects)
	}
	mark("bob demoted")
}

// Alice (admin) removes Bob from the call: Bob's page leaves and says an
// admin removed him, and joining again within the cooldown is refused with
// the same reason. Then Alice removes Carol from the room: Carol's page
// leaves the call, drops the room and says she is no longer a member.
func TestAdminRemovesAParticipantAndAMemberLosesTheRoom(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	pages := inGeneral(t, env, "alice", "bob", "carol")
	alice, bob, carol := pages[0], pages[1], pages[2]
	bobID := bob.Call().Identity

	// Removing asks first; Cancel leaves bob in the call and focus where
	// it was.
	alice.moderate("bob", "act-remove")
	alice.Wait(5*time.Second, "removing asks for confirmation, Cancel focused",
		`window.__chattoDebug.confirm().open && window.__chattoDebug.confirm().title === 'Remove Bob from the call?' && document.activeElement.id === 'confirm-cancel'`)
	alice.Click("#confirm-cancel")
	alice.Wait(5*time.Second, "the dialog closes and focus goes back to bob's menu button",
		`!window.__chattoDebug.confirm().open && document.activeElement === document.querySelector('`+rowOf("bob")+` .p-menu')`)
	if ids := calltest.Identities(env.Login("alice").Call("general")); !ids[bobID] {
		t.Fatalf("bob left the call although the removal was cancelled: %v", ids)
	}
	alice.moderate("bob", "act-remove")
	alice.Wait(5*time.Second, "asked again", `window.__chattoDebug.confirm().open`)
	alice.Click("#confirm-ok")
	bob.WaitState("ended", 10*time.Second)
	// Said once: in the alert, not again in the state line.
	bob.Wait(5*time.Second, "bob's page says once that an admin removed him", stateLine+` === 'Not in the call'`+
		` && document.getElementById('call-error').textContent === 'An admin removed you from the call.'`+
		` && document.body.innerText.split('An admin removed you').length === 2`+
		` && window.__chattoDebug.call().removedReason === 'removed'`)
	alice.Wait(10*time.Second, "bob is gone from alice's list", `document.querySelector('`+rowOf("bob")+`') === null`)
	if ids := calltest.Identities(env.Login("alice").Call("general")); ids[bobID] {
		t.Fatalf("bob is still in the call view: %v", ids)
	}
	mark("bob removed")

	bob.ClickJoin("#join")
	bob.Wait(10*time.Second, "a rejoin within the cooldown is refused, saying why",
		`/^An admin removed you from this call\. You can join it again in (1m 0s|[1-5]?[0-9]s)\.$/.test(document.getElementById('call-error').textContent)`)
	bob.Screenshot(filepath.Join(t.ArtifactDir(), "removed-from-call.png"))

	if code := env.Login("alice").Do("DELETE", "/api/rooms/general/members/carol", nil, nil); code != 204 {
		t.Fatalf("remove carol from general: status %d", code)
	}
	carol.Wait(10*time.Second, "carol's page leaves the call and drops the room", `(() => {
		const c = window.__chattoDebug.call();
		return !!c && c.state === 'ended' && c.removedReason === 'revoked'
			&& !window.__chattoDebug.rooms().includes('general')
			&& document.querySelector('.room-link[data-room="general"]') === null;
	})()`)
	carol.Wait(5*time.Second, "carol's page says she is no longer a member", `!document.getElementById('app-notice').hidden
		&& document.getElementById('app-notice-text').textContent === 'You are no longer a member of General.'
		&& location.hash === '' && document.getElementById('room-view').hidden`)
	if ids := calltest.Identities(env.Login("alice").Call("general")); len(ids) != 1 {
		t.Fatalf("after the removals the call has %v, want alice alone", ids)
	}
	mark("carol lost the room")
}

// With force_relay the client config says so and the page hands LiveKit
// iceTransportPolicy "relay": the peer connection really runs with it.
// There is no TURN server here, so connecting is not required.
func TestForceRelayMakesThePageUseRelayOnlyICE(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.ForceRelay = true })
	alice := newBrowser(t, env, "alice").Page()
	alice.SignIn("alice")
	alice.Wait(5*time.Second, "the client config carries force_relay", `window.__chattoDebug.config().forceRelay === true`)
	alice.OpenRoom("general")
	alice.ClickJoin("#call-video")
	alice.Wait(20*time.Second, "the page's peer connection uses relay-only ICE", `(() => {
		const c = window.__chattoDebug.call();
		return !!c && c.iceTransportPolicy === 'relay' && c.appliedIceTransportPolicy === 'relay';
	})()`)
}
