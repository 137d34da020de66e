package browsertest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// JS expressions about the incoming-call dialog and the call panel.
const (
	incomingShown  = `(() => { const d = document.getElementById('incoming'); return !d.hidden && d.getClientRects().length > 0 })()`
	incomingHidden = `document.getElementById('incoming').hidden`
	stateLine      = `document.getElementById('call-state-text').textContent`
)

// incomingFrom is a JS condition: the dialog shows a ring from caller.
func incomingFrom(caller string) string {
	return fmt.Sprintf(`%s && document.getElementById('incoming-caller').textContent === %q`, incomingShown, caller)
}

// noticeWith is a JS condition: the open timeline has a call notice with
// this outcome whose text is exactly text.
func noticeWith(outcome, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#timeline .notice[data-outcome=%q] span')].some(e => e.textContent === %q)`, outcome, text)
}

// waitStreams waits until each page's event stream is connected, so a
// ring reaches it live.
func waitStreams(pages ...*Page) {
	for _, p := range pages {
		p.Wait(10*time.Second, "event stream connected", `window.__chattoDebug.streamConnected()`)
	}
}

// Alice rings Bob in their direct room: both of Bob's tabs show the
// incoming-call dialog with Alice's name while Alice's page says it is
// ringing Bob; Bob accepts in one tab, the other tab's dialog goes away
// at once (ring_stopped), and Alice and Bob share an encrypted video call.
func TestIncomingCallRingsEveryTabAndAnsweringInOneStopsTheOthers(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page()
	bobB := newBrowser(t, env, "bob")
	bob := bobB.Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	bob2, closeBob2 := bobB.NewTab(t, "second")
	defer closeBob2()
	bob2.Open()
	waitStreams(alice, bob, bob2)
	alice.OpenRoom("alice-bob")
	mark("signed in")

	alice.Click("#call-video")
	alice.WaitState("connected", 30*time.Second)
	alice.Wait(10*time.Second, "alice's page says it rings bob", stateLine+` === 'Ringing Bob…'`)
	alice.Wait(2*time.Second, "the leave button reads Cancel while unanswered", `document.getElementById('leave').textContent === 'Cancel'`)
	if got := alice.EvalString(`document.getElementById('call-kind').textContent`); got != "Video call" {
		alice.fail("call panel type = %q, want Video call", got)
	}
	rungAt := time.Now()
	for _, p := range []*Page{bob, bob2} {
		p.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
		var d struct {
			Role, Modal, Title, Accept, Focused string
			MergeShown                          bool
		}
		p.Eval(`(() => { const d = document.getElementById('incoming'); return {
			Role: d.getAttribute('role'), Modal: d.getAttribute('aria-modal'),
			Title: document.getElementById('incoming-title').textContent,
			Accept: document.getElementById('incoming-accept').textContent,
			Focused: document.activeElement ? document.activeElement.id : '',
			MergeShown: !document.getElementById('incoming-merge').hidden,
		} })()`, &d)
		if d.Role != "dialog" || d.Modal != "true" || d.Title != "Incoming video call" || d.Accept != "Accept" || d.MergeShown {
			p.fail("dialog = %+v, want a modal dialog titled Incoming video call with Accept and no Merge", d)
		}
		if d.Focused != "incoming-accept" {
			p.fail("focus is on %q, want the Accept button", d.Focused)
		}
		// The ring tone runs, or is refused by the autoplay policy (no
		// gesture yet in this tab): either way the dialog does not depend
		// on it.
		tone := p.EvalString(`window.__chattoDebug.incoming().tone`)
		if tone != "playing" && tone != "blocked" {
			p.fail("ring tone state %q while ringing, want playing or blocked", tone)
		}
		t.Logf("%s: ring tone %s", p.name, tone)
	}
	mark(fmt.Sprintf("both of bob's tabs ring (%s after alice's page showed ringing)", time.Since(rungAt).Round(10*time.Millisecond)))
	bob.Screenshot(filepath.Join(t.ArtifactDir(), "incoming-call.png"))

	bob.Click("#incoming-accept")
	clicked := time.Now()
	bob2.Wait(5*time.Second, "the second tab's dialog goes away when the first answers", incomingHidden)
	t.Logf("the second tab's dialog went away %s after Accept was clicked in the first", time.Since(clicked).Round(10*time.Millisecond))
	bob.Wait(2*time.Second, "the answering tab's dialog is gone and its tone stopped", incomingHidden+` && window.__chattoDebug.incoming().tone === 'off'`)
	bob2.Wait(2*time.Second, "the other tab's tone stopped", `window.__chattoDebug.incoming().tone === 'off'`)
	bob.Wait(5*time.Second, "answering opens the direct room", `location.hash === '#/rooms/alice-bob'`)
	bob.WaitState("connected", 30*time.Second)
	// Not on Leave: a second Enter must not hang up.
	bob.Wait(5*time.Second, "focus is on the microphone toggle after Accept", `document.activeElement.id === 'mic-toggle'`)
	mark("bob answered")

	for _, p := range []*Page{alice, bob} {
		p.Wait(30*time.Second, "two tiles with playing video",
			`document.querySelectorAll('#tiles .tile[data-video="playing"]').length === 2`)
		if c := p.Call(); !c.E2EEEnabled || c.EncryptionErrors != 0 {
			p.fail("local encryption: %+v, want enabled with no errors", c)
		}
	}
	for _, tc := range []struct {
		page   *Page
		remote string
	}{{alice, "bob"}, {bob, "alice"}} {
		tc.page.Wait(20*time.Second, tc.remote+"'s tracks subscribed and encrypted", fmt.Sprintf(`(() => {
			const t = window.__chattoDebug.tiles().find(t => t.identity.startsWith(%q));
			return !!t && t.tracks.length === 2 && t.tracks.every(tr => tr.encrypted && tr.subscribed);
		})()`, tc.remote+"#"))
	}
	alice.Wait(5*time.Second, "alice's state line no longer rings", stateLine+` === 'Connected · end-to-end encrypted'`)
	alice.Wait(2*time.Second, "the cancel button is Leave call again", `document.getElementById('leave').textContent === 'Leave call'`)
	bob2.Wait(2*time.Second, "the second tab is not in the call", `window.__chattoDebug.call() === null`)

	v := env.Login("alice").Call("alice-bob")
	if v == nil || v.State != "active" || v.Type != "video" || len(v.Ringing) != 0 || len(calltest.Identities(v)) != 2 {
		t.Fatalf("call after bob answered = %+v, want an active video call of two with nobody ringing", v)
	}
	mark("call verified")

	// A direct call is a phone call: alice administers the room, yet
	// neither side gets moderation or "End for everyone"; one hang-up
	// ends it for both.
	for _, p := range []*Page{alice, bob} {
		var shown struct{ EndAll, Moderation bool }
		p.Eval(`({ EndAll: !document.getElementById('end-call').hidden,
			Moderation: !(`+noModeration+`) })`, &shown)
		if shown.EndAll || shown.Moderation {
			p.fail("a direct call shows %+v, want neither End for everyone nor moderation actions", shown)
		}
	}
	bob.Click("#leave")
	alice.Wait(2*time.Second, "bob's hang-up ends alice's side too, saying who", stateLine+` === 'Bob ended the call'`)
	alice.Screenshot(filepath.Join(t.ArtifactDir(), "direct-call-hung-up.png"))
	mark("bob hung up")
}

// Bob declines: his dialog goes away (also in a tab he opened while it
// rang, which found the ring in the call views it loaded), Alice's page
// says plainly that Bob declined, the call is gone, and each timeline
// words the notice for its reader.
func TestDecliningEndsTheCallAndTellsTheCaller(t *testing.T) {
	env := calltest.Start(t)
	alice := newBrowser(t, env, "alice").Page()
	bobB := newBrowser(t, env, "bob")
	bob := bobB.Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	alice.OpenRoom("alice-bob")

	alice.Click("#call-video")
	alice.WaitState("connected", 30*time.Second)
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	late, closeLate := bobB.NewTab(t, "opened-while-ringing")
	defer closeLate()
	late.Open()
	late.Wait(10*time.Second, "a tab opened during the ring shows it too", incomingFrom("Alice"))
	waitStreams(late)
	bob.Click("#incoming-decline")
	bob.Wait(2*time.Second, "bob's dialog goes away", incomingHidden)
	late.Wait(5*time.Second, "the other tab's dialog goes away", incomingHidden)

	alice.Wait(10*time.Second, "alice's page says bob declined", stateLine+` === 'Bob declined'`)
	alice.WaitState("ended", 5*time.Second)
	alice.Wait(5*time.Second, "alice's header offers a new call", visible("#call-video")+` && `+visible("#call-audio")+
		` && document.getElementById('call-summary').textContent === 'No call right now'`)
	if v := env.Login("alice").Call("alice-bob"); v != nil {
		t.Fatalf("after bob declined, call = %+v, want none", v)
	}
	alice.Wait(10*time.Second, "alice's timeline: Bob declined", noticeWith("declined", "Bob declined"))
	bob.OpenRoom("alice-bob")
	bob.Wait(10*time.Second, "bob's timeline: You declined a video call from Alice", noticeWith("declined", "You declined a video call from Alice"))
	bob.Wait(10*time.Second, "bob's recent calls list the declined call, not as missed",
		`(() => { const e = document.querySelector('#history-list .history-item[data-outcome="declined"]'); return !!e && !e.classList.contains('missed') })()`)
}

// Alice cancels before Bob answers: Bob's dialog goes away, Alice's page
// says the call was cancelled, and Bob's Recent calls count it as a call
// he missed.
// aliceRingsBob signs Alice and Bob in, each in their own browser, and
// has Alice start a video call in their direct room: it returns once
// Alice's page is connected and Bob's shows the incoming-call dialog.
func aliceRingsBob(t *testing.T, env *calltest.Env) (alice, bob *Page) {
	t.Helper()
	alice = newBrowser(t, env, "alice").Page()
	bob = newBrowser(t, env, "bob").Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	alice.OpenRoom("alice-bob")
	alice.Click("#call-video")
	alice.WaitState("connected", 30*time.Second)
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	return alice, bob
}

func TestCancellingStopsTheRingAndCountsAsMissed(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := aliceRingsBob(t, env)
	alice.Wait(5*time.Second, "the caller's button reads Cancel", `document.getElementById('leave').textContent === 'Cancel'`)
	alice.Click("#leave")
	bob.Wait(5*time.Second, "bob's dialog goes away when alice cancels", incomingHidden)
	alice.Wait(10*time.Second, "alice's page says the call was cancelled", stateLine+` === 'Call cancelled'`)
	alice.WaitState("ended", 5*time.Second)
	bob.Wait(10*time.Second, "bob's recent calls mark the cancelled call missed", `(() => {
		const e = document.querySelector('#history-list .history-item[data-outcome="cancelled"]');
		return !!e && e.classList.contains('missed') && e.querySelector('.history-outcome').textContent === 'Missed';
	})()`)
	alice.Wait(10*time.Second, "alice's recent calls say cancelled", `(() => {
		const e = document.querySelector('#history-list .history-item[data-outcome="cancelled"]');
		return !!e && !e.classList.contains('missed') && e.querySelector('.history-outcome').textContent === 'Cancelled';
	})()`)
	if v := env.Login("alice").Call("alice-bob"); v != nil {
		t.Fatalf("after alice cancelled, call = %+v, want none", v)
	}
}

// Nobody answers a voice call within the ring timeout: Bob's dialog goes
// away by itself, Alice's page says Bob didn't answer, Bob's Recent calls
// mark the call Missed, and the timelines read "Missed voice call from Alice"
// for Bob and "Bob didn't answer" for Alice.
func TestUnansweredCallIsMissed(t *testing.T) {
	const timeout = 3 * time.Second
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.RingTimeout = timeout })
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	alice.OpenRoom("alice-bob")
	bob.OpenRoom("alice-bob")

	alice.Click("#call-audio")
	alice.WaitState("connected", 30*time.Second)
	// A voice call: the camera starts off and can be turned on.
	if got := alice.EvalString(`document.getElementById('call-kind').textContent + '|' + document.getElementById('cam-toggle').textContent`); got != "Voice call|Turn camera on" {
		alice.fail("panel type and camera toggle = %q, want a voice call with the camera off", got)
	}
	bob.Wait(10*time.Second, "the incoming voice call from Alice", incomingFrom("Alice")+
		` && document.getElementById('incoming-title').textContent === 'Incoming voice call'`+
		` && document.getElementById('incoming-audio').hidden`) // a voice call's Accept is audio only already
	bob.Wait(2*time.Second, "the header of the ringing room offers to join", visible("#join"))
	rang := time.Now()

	bob.Wait(timeout+10*time.Second, "bob's dialog goes away unanswered", incomingHidden)
	t.Logf("the dialog went away %s after it showed (ring timeout %s)", time.Since(rang).Round(10*time.Millisecond), timeout)
	alice.Wait(10*time.Second, "alice's page says bob didn't answer", stateLine+` === "Bob didn't answer"`)
	alice.WaitState("ended", 5*time.Second)
	if v := env.Login("alice").Call("alice-bob"); v != nil {
		t.Fatalf("after the ring timed out, call = %+v, want none", v)
	}

	bob.Wait(10*time.Second, "bob's recent calls mark the call missed", `(() => {
		const e = document.querySelector('#history-list .history-item[data-outcome="missed"]');
		return !!e && e.classList.contains('missed') && e.querySelector('.history-outcome').textContent === 'Missed'
			&& e.querySelector('.history-type').textContent === 'Voice call' && e.querySelector('.history-name').textContent === 'Alice & Bob';
	})()`)
	alice.Wait(10*time.Second, "alice's recent calls show no answer, not missed", `(() => {
		const e = document.querySelector('#history-list .history-item[data-outcome="missed"]');
		return !!e && !e.classList.contains('missed') && e.querySelector('.history-outcome').textContent === 'No answer';
	})()`)
	bob.Wait(10*time.Second, "bob's timeline: Missed voice call from Alice", noticeWith("missed", "Missed voice call from Alice"))
	alice.Wait(10*time.Second, "alice's timeline: Bob didn't answer", noticeWith("missed", "Bob didn't answer"))
	bob.Screenshot(filepath.Join(t.ArtifactDir(), "missed-call.png"))
}

// Bob is in a call in "general" when Alice rings him: Alice's page says
// Bob is in another call, Bob's dialog offers to leave his call and
// answer, or to add Alice to his call; he merges, and Alice's page moves
// into the general call by itself (call.moved) while the direct call ends
// as merged.
func TestBusyCalleeMergesTheCallerIntoTheirCall(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()
	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	bob.OpenRoom("general")
	bob.Join()
	api := env.Login("alice")
	calltest.Eventually(t, 20*time.Second, "LiveKit confirms bob in general", func() bool {
		ids := calltest.Identities(api.Call("general"))
		return len(ids) == 1 && ids[bob.Call().Identity]
	})
	mark("bob in general")

	alice.OpenRoom("alice-bob")
	alice.Click("#call-video")
	alice.WaitState("connected", 30*time.Second)
	alice.Wait(10*time.Second, "alice's page says bob is in another call", stateLine+` === 'Bob is in another call'`)
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	bob.Wait(2*time.Second, "busy choices", `document.getElementById('incoming-accept').textContent === 'Leave current call and answer'
		&& !document.getElementById('incoming-merge').hidden
		&& document.getElementById('incoming-merge').textContent === 'Add Alice to this call'
		&& window.__chattoDebug.incoming().busy`)
	bob.Screenshot(filepath.Join(t.ArtifactDir(), "incoming-call-busy.png"))

	bob.Click("#incoming-merge")
	bob.Wait(5*time.Second, "bob's dialog goes away", incomingHidden)
	alice.Wait(10*time.Second, "alice's page moves to general", `location.hash === '#/rooms/general'`)
	alice.Wait(30*time.Second, "alice is connected in general", `(() => { const c = window.__chattoDebug.call(); return !!c && c.room === 'general' && c.state === 'connected' })()`)
	alice.WaitState("connected", 5*time.Second)
	bob.WaitState("connected", 2*time.Second)
	for _, p := range []*Page{alice, bob} {
		p.Wait(30*time.Second, "two tiles with playing video", `document.querySelectorAll('#tiles .tile[data-video="playing"]').length === 2`)
	}
	if v := api.Call("alice-bob"); v != nil {
		t.Fatalf("the direct call is still there after the merge: %+v", v)
	}
	var page struct {
		Calls []struct{ Outcome string } `json:"calls"`
	}
	if code := api.Do("GET", "/api/rooms/alice-bob/calls", nil, &page); code != 200 || len(page.Calls) != 1 || page.Calls[0].Outcome != "merged" {
		t.Fatalf("alice-bob history = %d %+v, want one merged call", code, page)
	}
	mark("merged")
}

// In a group room the call's creator rings a member who is not in the
// call (Invite); the member answers from the dialog. A room admin who did
// not start the call sees "End for everyone", a plain member does not,
// and ending it drops every page out of the call.
func TestInviteRingsAMemberAndAnAdminEndsTheCallForEveryone(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page() // admin of general
	bob := newBrowser(t, env, "bob").Page()
	carol := newBrowser(t, env, "carol").Page()
	for _, u := range []struct {
		p    *Page
		name string
	}{{alice, "alice"}, {bob, "bob"}, {carol, "carol"}} {
		u.p.SignIn(u.name)
	}
	waitStreams(alice, bob, carol)
	bob.OpenRoom("general")
	bob.ClickJoin("#call-audio")
	bob.WaitState("connected", 30*time.Second)
	bob.Wait(5*time.Second, "the creator may end the call for everyone", `!document.getElementById('end-call').hidden`)
	// A group call does not ring anybody by itself.
	bob.Wait(2*time.Second, "no ringing in a group call", stateLine+` === 'Connected · end-to-end encrypted'`)

	// Alice, who did not start the call, joins and invites carol.
	alice.OpenRoom("general")
	alice.Join()
	alice.Click("#call-more")
	alice.Click("#invite-open")
	alice.Wait(5*time.Second, "the invite picker lists carol", `[...document.getElementById('invite-user').options].map(o => o.value).sort().join() === 'carol'`)
	alice.Eval(`(() => { const s = document.getElementById('invite-user'); s.value = 'carol'; s.dispatchEvent(new Event('change')); return true })()`, nil)
	alice.Click("#invite-send")
	bob.Wait(10*time.Second, "bob's page shows carol being rung", stateLine+` === 'Connected · end-to-end encrypted · Ringing Carol…'`)
	carol.Wait(10*time.Second, "carol's dialog: Alice calls in General", incomingFrom("Alice")+
		` && document.getElementById('incoming-desc').textContent === 'Incoming voice call · General'`+
		` && document.getElementById('incoming-title').textContent === 'Incoming voice call'`)
	// A reload rebuilds the dialog from the call view, which names the
	// inviter rather than the call's creator.
	carol.Open()
	carol.Wait(10*time.Second, "after a reload carol's dialog still names Alice", incomingFrom("Alice"))
	carol.ClickJoin("#incoming-accept")
	carol.Wait(5*time.Second, "answering opens general", `location.hash === '#/rooms/general'`)
	carol.WaitState("connected", 30*time.Second)
	carol.Wait(5*time.Second, "a plain member cannot end the call for everyone", `document.getElementById('end-call').hidden`)
	bob.Wait(10*time.Second, "bob's page stops ringing carol", stateLine+` === 'Connected · end-to-end encrypted'`)
	mark("carol answered alice's invite")

	alice.Wait(5*time.Second, "the room admin may end the call for everyone", `!document.getElementById('end-call').hidden`)
	alice.Click("#call-more")
	alice.Click("#end-call")
	alice.Wait(5*time.Second, "ending for everyone asks first", `window.__chattoDebug.confirm().open && window.__chattoDebug.confirm().action === 'End call'`)
	alice.Click("#confirm-ok")
	for _, p := range []*Page{alice, bob, carol} {
		p.WaitState("ended", 10*time.Second)
		p.Wait(10*time.Second, "the header offers a new call", visible("#call-audio"))
	}
	if v := env.Login("alice").Call("general"); v != nil {
		t.Fatalf("after End for everyone, call = %+v, want none", v)
	}
	mark("ended for everyone")
}

// Recent calls show the newest page first; "More" loads the next page
// with the server's cursor, and answered calls show their duration.
func TestRecentCallsPageWithMore(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	const calls = 12 // more than one page of the client's 10
	for i := range calls {
		dev := fmt.Sprintf("d%d", i)
		alice.Join("general", dev)
		alice.Leave("general", dev)
	}
	bob := newBrowser(t, env, "bob").Page()
	bob.SignIn("bob")
	const items = `document.querySelectorAll('#history-list .history-item').length`
	bob.Wait(10*time.Second, "the first page of recent calls", items+` === 10 && `+visible("#history-more"))
	var first struct{ Outcome, Type, Label, Room string }
	bob.Eval(`(() => { const e = document.querySelector('#history-list .history-item'); return {
		Outcome: e.dataset.outcome, Type: e.querySelector('.history-type').textContent,
		Label: e.querySelector('.history-outcome').textContent, Room: e.querySelector('.history-name').textContent } })()`, &first)
	if first.Outcome != "completed" || first.Type != "Video call" || first.Room != "General" || !regexp.MustCompile(`^(\d+s|\d+m \d+s|\d+h \d+m)$`).MatchString(first.Label) {
		bob.fail("newest entry = %+v, want a completed video call in General with its duration", first)
	}
	bob.Click("#history-more")
	bob.Wait(10*time.Second, "every call after More, and no More button", fmt.Sprintf(`%s === %d && document.getElementById('history-more').hidden`, items, calls))
	var ids []string
	bob.Eval(`window.__chattoDebug.history().map(c => c.id)`, &ids)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			bob.fail("call %s listed twice: %v", id, ids)
		}
		seen[id] = true
	}
}

// spyNotifications wraps window.Notification so a test sees the system
// notifications the page creates (headless Chromium shows none).
const spyNotifications = `(() => {
	const Real = window.Notification;
	if (!Real) return;
	window.__notes = [];
	window.Notification = class extends Real {
		static get permission() { return Real.permission; }
		static requestPermission(...a) { return Real.requestPermission(...a); }
		constructor(title, o) {
			super(title, o);
			const rec = { title, body: (o || {}).body || '', tag: (o || {}).tag || '', closed: false, click: () => this.onclick && this.onclick(new Event('click')) };
			this.__rec = rec;
			window.__notes.push(rec);
		}
		close() { this.__rec.closed = true; super.close(); }
	};
})()`

// setHidden fakes the page's visibility (document.hidden and
// visibilityState, and the visibilitychange event): headless Chromium
// keeps a tab visible whatever happens to other tabs.
func setHidden(hidden bool) string {
	state := "visible"
	if hidden {
		state = "hidden"
	}
	return fmt.Sprintf(`(() => {
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => %t });
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => %q });
		document.dispatchEvent(new Event('visibilitychange'));
		return true;
	})()`, hidden, state)
}

// The incoming-call dialog shows the caller's avatar (initials in their
// colour, ringing) and name, one line of context and large buttons that
// fit a phone; while the tab is hidden the title flashes and a system
// notification (permission granted) shows, both gone when the tab shows
// or the ring ends. Accept audio only joins the video call with the
// camera off, and the focus lands on the microphone toggle.
func TestIncomingCallShowsTheCallerAlertsAHiddenTabAndAnswersAudioOnly(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()
	bob.InjectBeforeLoad(spyNotifications)
	if _, err := chromedp.Call(bob.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: env.BaseURL,
	}); err != nil {
		t.Fatalf("grant bob notifications: %v", err)
	}
	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	bob.Wait(2*time.Second, "notifications are allowed and the spy is in place", `Notification.permission === 'granted' && Array.isArray(window.__notes)`)
	title := bob.EvalString(`document.title`)
	alice.OpenRoom("alice-bob")

	// First ring, on a phone.
	bob.Viewport(phoneW, phoneH)
	alice.Click("#call-video")
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	var d struct {
		Initials, Background, Glyph, Desc, Focused string
		AudioShown, Ringing                        bool
	}
	bob.Eval(`(() => { const a = document.getElementById('incoming-avatar'); return {
		Initials: document.getElementById('incoming-initials').textContent,
		Background: getComputedStyle(a).backgroundColor,
		Glyph: getComputedStyle(a, '::after').content,
		Desc: document.getElementById('incoming-desc').textContent,
		Focused: document.activeElement.id,
		AudioShown: !document.getElementById('incoming-audio').hidden,
		Ringing: getComputedStyle(a.querySelector('.ring-wave')).animationName === 'ring',
	} })()`, &d)
	if d.Initials != "A" || d.Background == "" || d.Background == "rgb(55, 48, 163)" || (d.Glyph != "none" && d.Glyph != "normal") ||
		d.Desc != "Incoming video call · Alice & Bob" || d.Focused != "incoming-accept" || !d.AudioShown || !d.Ringing {
		bob.fail("dialog = %+v, want Alice's initials in her colour, ringing, no glyph, one line of context, Accept focused, Accept audio only shown", d)
	}
	bob.NoHorizontalOverflow(phoneW)
	bob.Wait(2*time.Second, "big buttons within the phone's screen", `['incoming-accept', 'incoming-audio', 'incoming-decline'].every(id => {
		const r = document.getElementById(id).getBoundingClientRect();
		return r.height >= 48 && r.width >= 300 && r.top >= innerHeight / 2 && r.bottom <= innerHeight })`)
	bob.Shot(t, "incoming-phone")
	callID := bob.EvalString(`window.__chattoDebug.incoming().callId`)
	mark("bob's phone rings")

	// The tab goes to the background: the title flashes, a notification shows.
	const flashTitle = `document.title === '📞 Alice is calling…'`
	bob.Eval(setHidden(true), nil)
	bob.Wait(3*time.Second, "the title flashes", flashTitle)
	bob.Wait(3*time.Second, "the title alternates with the page's own", fmt.Sprintf(`document.title === %q`, title))
	bob.Wait(3*time.Second, "the title flashes again", flashTitle)
	bob.Wait(3*time.Second, "one system notification for the call", fmt.Sprintf(`window.__notes.length === 1
		&& window.__notes[0].tag === %q && window.__notes[0].title === 'Alice is calling'
		&& window.__notes[0].body === 'Incoming video call · Alice & Bob' && !window.__notes[0].closed`, callID))
	// Clicking it closes it and leaves the dialog up to answer.
	bob.Eval(`window.__notes[0].click(), true`, nil)
	bob.Wait(2*time.Second, "the clicked notification closes, the dialog stays", `window.__notes[0].closed && `+incomingShown)
	// Back in front: the title is the page's own again.
	bob.Eval(setHidden(false), nil)
	bob.Wait(2*time.Second, "the title is restored when the tab shows", fmt.Sprintf(`document.title === %q && !window.__chattoDebug.incoming().flashing`, title))
	// Hidden again, then Alice cancels: the new notification closes and
	// the title comes back.
	bob.Eval(setHidden(true), nil)
	bob.Wait(3*time.Second, "a notification while hidden again", `window.__notes.length === 2 && !window.__notes[1].closed && window.__chattoDebug.incoming().flashing`)
	alice.Click("#leave")
	bob.Wait(5*time.Second, "the ring ended: notification closed, title restored", fmt.Sprintf(
		`%s && window.__notes[1].closed && document.title === %q && !window.__chattoDebug.incoming().flashing`, incomingHidden, title))
	bob.Eval(setHidden(false), nil)
	alice.WaitState("ended", 10*time.Second)
	alice.Wait(10*time.Second, "alice's header offers a new call", visible("#call-video"))
	mark("background alerts")

	// Second ring, on a desktop: Accept audio only.
	bob.Viewport(desktopW, desktopH)
	alice.Click("#call-video")
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	bob.Shot(t, "incoming-desktop")
	bob.Click("#incoming-audio")
	bob.WaitState("connected", 30*time.Second)
	bob.Wait(5*time.Second, "focus is on the microphone toggle", `document.activeElement.id === 'mic-toggle'`)
	bob.Wait(10*time.Second, "bob's page has published what it starts with", `window.__chattoDebug.call().startPublished`)
	bob.Wait(10*time.Second, "bob publishes his microphone and no camera", `(() => {
		const tracks = window.__chattoDebug.tiles().find(t => t.local).tracks;
		return tracks.some(tr => tr.source === 'microphone') && !tracks.some(tr => tr.source === 'camera')
			&& document.getElementById('cam-toggle').dataset.on === 'false';
	})()`)
	if got := bob.EvalString(`document.getElementById('call-kind').textContent`); got != "Video call" {
		t.Fatalf("bob's call panel says %q, want the Video call he answered", got)
	}
	alice.Wait(20*time.Second, "alice sees bob's tile without video", `(() => {
		const b = window.__chattoDebug.tiles().find(t => t.identity.startsWith('bob#'));
		return !!b && b.tracks.some(tr => tr.source === 'microphone') && !b.tracks.some(tr => tr.source === 'camera');
	})()`)
}
