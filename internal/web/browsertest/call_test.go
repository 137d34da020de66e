package browsertest

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// Two people in two browsers join "general": both see both tiles with
// names and live video, every remote track is end-to-end encrypted, the
// server counts two connected devices, a third user's room list shows "2"
// without a reload, the audio-level ring follows the fake microphone's
// beeps, mute and camera toggles reach the other side through LiveKit,
// switching to another fake camera and microphone really changes what is
// sent,
// and the client renews its token before it expires.
func TestTwoBrowsersShareAnEncryptedCall(t *testing.T) {
	// The shortest token life the server allows, so the refresh happens
	// within the test.
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.TokenTTL = time.Minute })
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()
	carolB := newBrowser(t, env, "carol")
	carol := carolB.Page()

	carol.SignIn("carol")
	carol.Wait(5*time.Second, "no call indicator yet", `document.querySelector('.call-indicator[data-room="general"]').hidden`)
	alice.SignIn("alice")
	bob.SignIn("bob")
	alice.OpenRoom("general")
	bob.OpenRoom("general")

	mark("browsers signed in")
	alice.Join()
	joined := time.Now()
	firstGrant := alice.Call()
	bob.Join()

	mark("both joined")
	for _, p := range []*Page{alice, bob} {
		p.Wait(30*time.Second, "two tiles with playing video",
			`document.querySelectorAll('#tiles .tile[data-video="playing"]').length === 2`)
		names := ""
		p.Eval(`[...document.querySelectorAll('#tiles .tile figcaption .name')].map(e => e.textContent).sort().join('|')`, &names)
		if !strings.Contains(names, "Alice") || !strings.Contains(names, "Bob") {
			p.fail("tile names = %q, want Alice and Bob", names)
		}
		if c := p.Call(); !c.E2EEEnabled || c.EncryptionErrors != 0 {
			p.fail("local encryption: %+v, want enabled with no errors", c)
		}
	}
	// Each side decodes the other's video (frames advance), and LiveKit
	// reports every remote track as encrypted by the publisher.
	for _, tc := range []struct {
		page   *Page
		remote string
	}{{alice, "bob"}, {bob, "alice"}} {
		tc.page.Wait(20*time.Second, tc.remote+"'s tracks subscribed and encrypted", fmt.Sprintf(`(() => {
			const t = window.__chattoDebug.tiles().find(t => t.identity.startsWith(%q));
			return !!t && t.tracks.length === 2 && t.tracks.every(tr => tr.encrypted && tr.subscribed);
		})()`, tc.remote+"#"))
		if got := tc.page.EvalString(tileAttr(tc.remote, "encrypted")); got != "true" {
			tc.page.fail("tile data-encrypted = %q", got)
		}
		// Frames keep decoding: with a wrong or missing key they would not.
		remoteFrames := fmt.Sprintf(`((window.__chattoDebug.tiles().find(t => t.identity.startsWith(%q)) || {}).videoFrames || 0)`, tc.remote+"#")
		var before int
		tc.page.Eval(remoteFrames, &before)
		tc.page.Wait(15*time.Second, tc.remote+"'s video frames keep decoding", fmt.Sprintf(`%s >= %d`, remoteFrames, before+10))
	}

	mark("encrypted media verified")
	// Every visible control has a name a screen reader can read.
	var unnamed []string
	alice.Eval(`[...document.querySelectorAll('button, select, input')]
		.filter(e => e.getClientRects().length > 0)
		.filter(e => !((e.getAttribute('aria-label') || '').trim() || (e.labels && [...e.labels].some(l => l.textContent.trim())) || (e.tagName === 'BUTTON' && e.textContent.trim())))
		.map(e => e.outerHTML.slice(0, 80))`, &unnamed)
	if len(unnamed) > 0 {
		alice.fail("controls without an accessible name: %q", unnamed)
	}

	api := env.Login("alice")
	calltest.Eventually(t, 15*time.Second, "two connected participants in the API", func() bool {
		ids := calltest.Identities(api.Call("general"))
		if len(ids) != 2 {
			return false
		}
		for _, connected := range ids {
			if !connected {
				return false
			}
		}
		return true
	})

	carol.Wait(10*time.Second, "carol's room list shows 2 in the call", fmt.Sprintf(
		`%s && document.querySelector('.call-indicator[data-room="general"]').textContent === '2'`,
		visible(`.call-indicator[data-room="general"]`)))

	mark("API and indicator verified")
	// The ring: the fake microphone beeps, so the level of alice's tile
	// on bob's page (decoded remote audio) moves up and down.
	levels := map[string]bool{}
	lo, hi := 1.0, 0.0
	pulsing := func() bool { return len(levels) >= 4 && hi >= 0.3 && hi-lo >= 0.2 }
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline) && !pulsing(); {
		v := bob.EvalString(tileAttr("alice", "audioLevel"))
		levels[v] = true
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			lo, hi = min(lo, f), max(hi, f)
		}
		time.Sleep(80 * time.Millisecond)
	}
	if !pulsing() {
		bob.fail("alice's audio level took values %v; want it to rise and fall with the fake microphone's beeps", levels)
	}
	t.Logf("alice's audio level on bob's page ranged %.2f–%.2f", lo, hi)

	// An artifact for reviewers: kept under test-output/ when go test
	// runs with -artifacts (scripts/test.sh does).
	alice.Screenshot(filepath.Join(t.ArtifactDir(), "call.png"))

	mark("audio levels verified")
	// Mute: the button and alice's own tile change, and bob's page sees
	// the track muted through LiveKit; the ring goes quiet.
	alice.Click("#mic-toggle")
	alice.Wait(5*time.Second, "mute shows locally",
		`document.getElementById('mic-toggle').textContent === 'Unmute microphone' && `+tileAttr("alice", "mic")+` === 'off'`)
	bob.Wait(10*time.Second, "bob sees alice muted", tileAttr("alice", "mic")+` === 'off'`)
	bob.Wait(5*time.Second, "alice's ring is still on bob's page", tileAttr("alice", "audioLevel")+` === '0.00'`)
	alice.Click("#mic-toggle")
	bob.Wait(10*time.Second, "bob sees alice unmuted", tileAttr("alice", "mic")+` === 'on'`)

	// Camera off and on again.
	alice.Click("#cam-toggle")
	alice.Wait(5*time.Second, "camera off shows locally",
		`document.getElementById('cam-toggle').textContent === 'Turn camera on' && `+tileAttr("alice", "camera")+` === 'off'`)
	bob.Wait(10*time.Second, "bob sees alice's camera off", tileAttr("alice", "camera")+` === 'off'`)
	alice.Click("#cam-toggle")
	bob.Wait(15*time.Second, "bob sees alice's video again",
		tileAttr("alice", "camera")+` === 'on' && `+tileAttr("alice", "video")+` === 'playing'`)

	// Device switching: picking the last fake camera and the last fake
	// microphone changes what alice really captures, and bob keeps
	// decoding her video from the new camera.
	for _, sw := range []struct{ sel, source string }{{"#cam-select", "camera"}, {"#mic-select", "microphone"}} {
		alice.Wait(5*time.Second, sw.sel+" lists several devices", fmt.Sprintf(
			`document.querySelector(%q).options.length >= 2 && document.querySelector(%q).value !== ''`, sw.sel, sw.sel))
		before := alice.localDevice(sw.source)
		var framesBefore int
		bob.Eval(`window.__chattoDebug.tiles().find(t => t.identity.startsWith('alice#')).videoFrames`, &framesBefore)
		chosen := alice.EvalString(fmt.Sprintf(`(() => {
			const s = document.querySelector(%q);
			const o = [...s.options].reverse().find(o => o.value !== s.value && o.textContent !== %q);
			s.value = o.value;
			s.dispatchEvent(new Event('change'));
			return o.textContent;
		})()`, sw.sel, before))
		if chosen == "" || chosen == before {
			alice.fail("%s: no other device to pick (current %q)", sw.sel, before)
		}
		alice.Wait(10*time.Second, "alice sends from "+chosen, fmt.Sprintf(
			`window.__chattoDebug.tiles().find(t => t.local).tracks.some(tr => tr.source === %q && tr.device === %q)`, sw.source, chosen))
		alice.Wait(5*time.Second, sw.sel+" shows "+chosen, fmt.Sprintf(
			`(s => s.options[s.selectedIndex].textContent)(document.querySelector(%q)) === %q`, sw.sel, chosen))
		bob.Wait(10*time.Second, "bob still decodes alice's video", fmt.Sprintf(
			`window.__chattoDebug.tiles().find(t => t.identity.startsWith('alice#')).videoFrames > %d + 10`, framesBefore))
	}

	// Plugging in a device: the browser reports a new microphone and
	// fires devicechange; the picker lists it, and drops it on unplug.
	// (Chromium's fake devices cannot be hot-plugged, so the list is
	// extended in the page.)
	alice.Eval(`(() => {
		const md = navigator.mediaDevices;
		md.__realEnumerate = md.__realEnumerate || md.enumerateDevices.bind(md);
		md.enumerateDevices = async () => [...await md.__realEnumerate(),
			{ deviceId: 'usb-headset', groupId: 'usb', kind: 'audioinput', label: 'USB Headset', toJSON() { return this; } }];
		md.dispatchEvent(new Event('devicechange'));
		return true;
	})()`, nil)
	const headset = `[...document.querySelector('#mic-select').options].some(o => o.textContent === 'USB Headset')`
	alice.Wait(5*time.Second, "the plugged-in microphone is listed", headset)
	alice.Eval(`(() => {
		const md = navigator.mediaDevices;
		md.enumerateDevices = md.__realEnumerate;
		md.dispatchEvent(new Event('devicechange'));
		return true;
	})()`, nil)
	alice.Wait(5*time.Second, "the unplugged microphone is gone", `!`+headset)

	mark("mute, camera and devices verified")
	// The media really is encrypted with the call's key: a third device
	// that is handed a wrong key receives both streams but cannot decode
	// a single video frame.
	snoop, closeSnoop := carolB.NewTab(t, "wrong-key")
	snoop.InjectBeforeLoad(tamperJoin(`body.e2ee_key = btoa('x'.repeat(32));`))
	snoop.Open()
	snoop.OpenRoom("general")
	mark("snoop opened")
	snoop.Join()
	mark("snoop joined")
	snoop.Wait(20*time.Second, "both remote streams subscribed", `window.__chattoDebug.tiles().filter(t => !t.local && t.tracks.length === 2 && t.tracks.every(tr => tr.subscribed)).length === 2`)
	mark("snoop subscribed")
	time.Sleep(3 * time.Second)
	var decoded int
	snoop.Eval(`window.__chattoDebug.tiles().filter(t => !t.local).reduce((n, t) => n + t.videoFrames, 0)`, &decoded)
	if decoded != 0 {
		snoop.fail("a device with the wrong key decoded %d video frames", decoded)
	}
	if c := snoop.Call(); c.EncryptionErrors == 0 {
		snoop.fail("no decryption errors reported with a wrong key: %+v", c)
	}
	snoop.Click("#leave")
	snoop.WaitState("ended", 10*time.Second)
	mark("snoop left")
	closeSnoop()

	mark("wrong key verified")
	// Token refresh: a minute-long token is renewed at 45 s, before it
	// expires, and the call carries on.
	alice.Wait(max(time.Minute-time.Since(joined), 5*time.Second), "a token refresh", `window.__chattoDebug.call().tokenRefreshes >= 1`)
	renewed := alice.Call()
	oldExp, _ := time.Parse(time.RFC3339Nano, firstGrant.TokenExpiresAt)
	newExp, _ := time.Parse(time.RFC3339Nano, renewed.TokenExpiresAt)
	refreshedAt, _ := time.Parse(time.RFC3339Nano, renewed.LastRefreshAt)
	if !newExp.After(oldExp) || renewed.State != "connected" || renewed.CallID != firstGrant.CallID {
		t.Fatalf("after refresh: %+v; before: %+v", renewed, firstGrant)
	}
	if !refreshedAt.Before(oldExp) {
		t.Fatalf("token refreshed at %s, not before it expired at %s", refreshedAt, oldExp)
	}
}

// With calls disabled on the server, no call control or indicator shows.
func TestDisabledCallsHideCallControls(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.Enabled = false })
	alice := newBrowser(t, env, "alice").Page()
	alice.SignIn("alice")
	alice.OpenRoom("general")
	alice.Wait(5*time.Second, "body knows calls are off", `document.body.dataset.calls === 'off'`)
	for _, sel := range []string{"#join", "#call-audio", "#call-video", "#leave", "#call-summary", "#call", ".call-indicator", ".call-actions"} {
		var shown bool
		alice.Eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.getClientRects().length > 0)`, sel), &shown)
		if shown {
			alice.fail("%s is visible with calls disabled", sel)
		}
	}
	// The rest of the room works.
	alice.Wait(5*time.Second, "room title", `document.getElementById('room-title').textContent === 'General'`)
}

// Leaving with the button ends the call when the last one leaves, and both
// timelines show the start and end notices live. Then a tab that closes
// mid-call leaves by beacon, so the call ends within seconds instead of
// waiting for LiveKit's departure timeout.
func TestLeavingAndClosingTheTabEndTheCall(t *testing.T) {
	env := calltest.Start(t)
	api := env.Login("carol")
	aliceB := newBrowser(t, env, "alice")
	alice := aliceB.Page()
	bob := newBrowser(t, env, "bob").Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	alice.OpenRoom("general")
	bob.OpenRoom("general")

	const started = `document.querySelectorAll('#timeline .notice[data-kind="call_started"]').length`
	const ended = `document.querySelectorAll('#timeline .notice[data-kind="call_ended"]').length`

	alice.Join()
	bob.Wait(10*time.Second, "bob sees the call-started notice live", started+` === 1`)
	bob.Wait(10*time.Second, "bob's header shows the call", `document.getElementById('call-summary').textContent.startsWith('Call in progress')`)
	// Bob joins with the keyboard alone: Join is reachable with Tab, shows
	// a focus ring, and the result is announced.
	bob.TabTo("join", 20)
	bob.Wait(2*time.Second, "a visible focus ring on Join", `getComputedStyle(document.activeElement).outlineStyle !== 'none' && parseFloat(getComputedStyle(document.activeElement).outlineWidth) >= 2`)
	bob.Key("\r")
	// The pre-join dialog opens with the focus on Join now: Enter again joins.
	bob.Wait(5*time.Second, "the pre-join dialog with the focus on Join now", prejoinOpen+` && document.activeElement.id === 'prejoin-join'`)
	bob.Key("\r")
	bob.WaitState("connected", 30*time.Second)
	bob.Wait(5*time.Second, "joining is announced", `document.getElementById('announcer').textContent.includes('Connected to the call')`)
	alice.Wait(20*time.Second, "alice sees bob's tile", `document.querySelectorAll('#tiles .tile').length === 2`)
	alice.Wait(5*time.Second, "bob's arrival is announced", `document.getElementById('announcer').textContent === 'Bob joined the call'`)

	bob.Click("#leave")
	bob.WaitState("ended", 10*time.Second)
	bob.Wait(5*time.Second, "bob's join button is back", visible("#join"))
	alice.Wait(15*time.Second, "bob's tile leaves alice's page", `document.querySelectorAll('#tiles .tile').length === 1`)
	if v := api.Call("general"); v == nil || len(v.Participants) != 1 {
		t.Fatalf("after bob left, call = %+v, want alice alone", v)
	}

	alice.Click("#leave")
	alice.WaitState("ended", 10*time.Second)
	for _, p := range []*Page{alice, bob} {
		p.Wait(10*time.Second, "the call's item ends with its duration", started+` === 0 && `+ended+` === 1 && /^Video call · (\d+s|\d+m \d+s) · Alice, Bob$/.test(document.querySelector('#timeline .notice[data-kind="call_ended"] .call-item-text').textContent)`)
	}
	if v := api.Call("general"); v != nil {
		t.Fatalf("after everyone left, call = %+v, want none", v)
	}

	// A new call in a second tab, which then closes.
	tab, closeTab := aliceB.NewTab(t, "second")
	tab.Open()
	tab.OpenRoom("general")
	tab.Join()
	calltest.Eventually(t, 15*time.Second, "alice's new call is connected in the API", func() bool {
		ids := calltest.Identities(api.Call("general"))
		return len(ids) == 1 && func() bool {
			for _, c := range ids {
				return c
			}
			return false
		}()
	})
	// One item per call: the first ended, the second started.
	bob.Wait(10*time.Second, "bob sees the second call start", started+` === 1 && `+ended+` === 1`)
	closedAt := time.Now()
	closeTab()
	calltest.Eventually(t, 5*time.Second, "the call ends after the tab closed", func() bool { return api.Call("general") == nil })
	t.Logf("call ended %s after the tab closed", time.Since(closedAt).Round(10*time.Millisecond))
	bob.Wait(10*time.Second, "bob sees the second call end", ended+` === 2`)
	bob.Wait(5*time.Second, "bob's header shows no call", `document.getElementById('call-summary').textContent === 'No call right now'`)
}

// Failures are told, not swallowed: a token LiveKit refuses, a browser
// without end-to-end encryption (which must not join at all), LiveKit
// going away mid-call, and LiveKit down when a call would start.
func TestCallProblemsShowClearMessages(t *testing.T) {
	env := calltest.Start(t)
	api := env.Login("carol")
	b := newBrowser(t, env, "alice")
	first := b.Page()
	first.SignIn("alice")

	t.Run("token refused", func(t *testing.T) {
		p, closeTab := b.NewTab(t, "bad-token")
		defer closeTab()
		// Corrupt the signature of every token the API hands out.
		p.InjectBeforeLoad(tamperJoin(`body.token = body.token.slice(0, -4) + (body.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');`))
		p.Open()
		p.OpenRoom("general")
		p.ClickJoin(p.joinButton())
		p.WaitState("failed", 20*time.Second)
		p.Wait(5*time.Second, "refusal message", `!document.getElementById('call-error').hidden && document.getElementById('call-error').textContent.includes('refused the call token')`)
		calltest.Eventually(t, 10*time.Second, "the refused device left the call", func() bool { return api.Call("general") == nil })
	})

	t.Run("no e2ee support", func(t *testing.T) {
		p, closeTab := b.NewTab(t, "no-e2ee")
		defer closeTab()
		p.InjectBeforeLoad(`delete window.RTCRtpScriptTransform; delete RTCRtpSender.prototype.createEncodedStreams;`)
		p.Open()
		p.OpenRoom("general")
		p.ClickJoin(p.joinButton())
		p.Wait(5*time.Second, "no-encryption message", `!document.getElementById('call-error').hidden && document.getElementById('call-error').textContent.includes('cannot encrypt calls end-to-end')`)
		time.Sleep(300 * time.Millisecond)
		if v := api.Call("general"); v != nil {
			t.Fatalf("a browser without E2EE joined the call: %+v", v)
		}
	})

	t.Run("livekit lost mid-call and back", func(t *testing.T) {
		first := first.withT(t)
		first.OpenRoom("general")
		first.Join()
		identity := first.Call().Identity
		calltest.Eventually(t, 20*time.Second, "LiveKit confirms the device", func() bool { return calltest.Identities(api.Call("general"))[identity] })
		// A crash, not a shutdown: a LiveKit that shuts down cleanly
		// closes its rooms, and its webhooks rightly end the call.
		env.LK.Crash()
		first.WaitState("reconnecting", 20*time.Second)
		first.Wait(2*time.Second, "reconnecting is told", `document.getElementById('call-state-text').textContent.toLowerCase().includes('reconnecting')`)
		first.Wait(2*time.Second, "a reconnecting banner", `(() => { const b = document.getElementById('call-banner');
			return !b.hidden && b.dataset.kind === 'reconnecting' && b.textContent.includes('reconnecting') })()`)
		if v := api.Call("general"); v == nil {
			t.Fatal("the call ended while LiveKit was away")
		}
		// LiveKit comes back empty at the same address: the page gets
		// into the call again by itself, still encrypted.
		env.RestartLiveKit()
		first.WaitState("connected", 45*time.Second)
		first.Wait(2*time.Second, "the banner goes away", `document.getElementById('call-banner').hidden`)
		if c := first.Call(); !c.E2EEEnabled {
			first.fail("back in the call without encryption: %+v", c)
		}
		// A reconcile against the new LiveKit keeps the device only if
		// LiveKit really has it.
		calltest.Eventually(t, 20*time.Second, "the new LiveKit has the device", func() bool {
			if err := env.Service().Reconcile(context.Background()); err != nil {
				return false
			}
			v := api.Call("general")
			return v != nil && calltest.Identities(v)[identity]
		})
		first.Click("#leave")
		first.WaitState("ended", 10*time.Second)
		calltest.Eventually(t, 10*time.Second, "the call ended", func() bool { return api.Call("general") == nil })
	})

	t.Run("livekit unreachable", func(t *testing.T) {
		first := first.withT(t)
		env.LK.Stop()
		first.ClickJoin("#call-video")
		first.WaitState("failed", 20*time.Second)
		first.Wait(5*time.Second, "unreachable message", `document.getElementById('call-error').textContent.includes('(LiveKit) cannot be reached right now')`)
		first.Wait(2*time.Second, "join is offered again", visible("#call-video")+` && !document.getElementById('call-video').disabled`)
		first.Screenshot(filepath.Join(t.ArtifactDir(), "call-error.png"))
	})
}

// tamperJoin is a page script that rewrites the join answers the page
// receives with change, JavaScript that edits `body`.
func tamperJoin(change string) string {
	return `(() => {
		const orig = window.fetch;
		window.fetch = async (...args) => {
			const res = await orig(...args);
			if (!String(args[0]).endsWith('/call/join')) return res;
			const body = await res.clone().json().catch(() => null);
			if (!body || !body.token) return res;
			` + change + `
			return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
		};
	})()`
}

// A page that stays open through a server restart catches up by itself:
// a call that emptied while the server was down (its webhooks lost) is
// ended by the startup reconcile before the page's event stream is back,
// so only the page's refetch on reconnect can clear the room-list badge
// and bring in the "call ended" notice.
func TestOpenPageCatchesUpAfterServerRestart(t *testing.T) {
	env := calltest.Start(t)
	carol := newBrowser(t, env, "carol").Page()
	carol.SignIn("carol")
	carol.OpenRoom("general")
	const badge = `document.querySelector('.call-indicator[data-room="general"]')`
	const endedNotices = `document.querySelectorAll('#timeline .notice[data-kind="call_ended"]').length`

	alice := env.Login("alice")
	ra := calltest.Connect(t, alice.Join("general", "a"))
	carol.Wait(20*time.Second, "carol's badge shows alice in the call", visible(`.call-indicator[data-room="general"]`)+` && `+badge+`.textContent === '1'`)
	carol.Wait(5*time.Second, "stream connected", `window.__chattoDebug.streamConnected()`)
	// Confirmed by LiveKit's webhook: a device still within its join grace
	// would rightly survive the restart.
	calltest.Eventually(t, 20*time.Second, "alice connected", func() bool { return calltest.Identities(alice.Call("general"))["alice#a"] })

	env.StopServer()
	carol.Wait(10*time.Second, "the page notices the stream is gone", `!window.__chattoDebug.streamConnected()`)
	env.Relay.Drop(func(string) bool { return true })
	ra.Disconnect()
	time.Sleep(time.Second) // LiveKit's webhooks go nowhere
	env.Relay.Drop(nil)
	env.StartServer()
	calltest.Eventually(t, 20*time.Second, "the startup reconcile ends the call", func() bool { return alice.Call("general") == nil })

	carol.Wait(20*time.Second, "the stream reconnects", `window.__chattoDebug.streamConnected()`)
	carol.Wait(10*time.Second, "the badge goes away without a reload", badge+`.hidden`)
	carol.Wait(10*time.Second, "the call-ended notice arrives without a reload", endedNotices+` === 1`)
}
