package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chattocalls/chatto/internal/calltest"
)

// bothSizes checks a screen's contrast at desktop and phone size (the
// phone layout has its own colours: the dark stage, the sheets), with no
// sideways overflow on the phone, and keeps a screenshot of each as
// screen-<shot>-desktop.png and screen-<shot>-phone.png (scripts/gallery.sh picks the
// README's gallery from these).
func (p *Page) bothSizes(t *testing.T, where, shot string) {
	t.Helper()
	p.Viewport(desktopW, desktopH)
	p.NoContrastViolations(where + " at 1280×800")
	p.Shot(t, "screen-"+shot+"-desktop")
	p.Viewport(phoneW, phoneH)
	p.NoContrastViolations(where + " at 390×844")
	p.NoHorizontalOverflow(phoneW)
	p.Shot(t, "screen-"+shot+"-phone")
	p.Viewport(desktopW, desktopH)
}

// TestEveryScreenMeetsWCAGContrast walks through the screens a user sees,
// from signing in to the end of a call, and checks every visible text and
// icon control against WCAG AA by the colours the browser computed
// (ContrastViolations), at 1280×800 and 390×844: sign-in, a room without
// a call, pre-join, alone in a call, a room whose call runs (header and
// timeline item), a call of two with its More menu and people panel, the
// incoming-call dialog, and the page of a direct call the other side
// ended.
func TestEveryScreenMeetsWCAGContrast(t *testing.T) {
	env := calltest.Start(t)
	alice := newBrowser(t, env, "alice").Page()
	bob := newBrowser(t, env, "bob").Page()

	alice.do(20*time.Second, "open the sign-in page", chromedp.Navigate(alice.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#signin-user")))
	alice.bothSizes(t, "sign-in", "signin")

	alice.SignIn("alice")
	bob.SignIn("bob")
	waitStreams(alice, bob)
	alice.OpenRoom("general")
	alice.bothSizes(t, "a room without a call", "room")

	alice.Click("#call-video")
	alice.Wait(10*time.Second, "the pre-join dialog", prejoinOpen)
	alice.bothSizes(t, "pre-join", "prejoin")
	alice.Click("#prejoin-join")
	alice.WaitState("connected", 30*time.Second)
	alice.bothSizes(t, "alone in a call", "alone")

	bob.OpenRoom("general")
	bob.Wait(10*time.Second, "the running call's timeline item", visible(`#timeline .call-item[data-state="live"]`)+` || `+visible(`#timeline .call-item`))
	bob.bothSizes(t, "a room whose call runs", "room-with-call")

	bob.Join()
	alice.Wait(20*time.Second, "bob in alice's call", `window.__chattoDebug.tiles().length === 2`)
	alice.bothSizes(t, "a call of two", "call-of-two")
	alice.Click("#call-more")
	alice.Wait(5*time.Second, "the More menu", visible("#more-menu"))
	alice.NoContrastViolations("the More menu at 1280×800")
	alice.Key("\x1b")
	alice.Click("#people-toggle")
	alice.Wait(5*time.Second, "the people panel", visible("#participants"))
	alice.NoContrastViolations("the people panel at 1280×800")

	bob.Click("#leave")
	alice.Click("#leave")
	alice.OpenRoom("alice-bob")
	alice.Click("#call-video")
	alice.Wait(10*time.Second, "alice's page rings bob", stateLine+` === 'Ringing Bob…'`)
	bob.Wait(10*time.Second, "the incoming-call dialog from Alice", incomingFrom("Alice"))
	alice.bothSizes(t, "ringing", "ringing")
	bob.bothSizes(t, "the incoming-call dialog", "incoming")
	bob.Click("#incoming-accept")
	bob.WaitState("connected", 30*time.Second)
	alice.Click("#leave")
	bob.Wait(10*time.Second, "bob's page says Alice ended the call", `document.body.innerText.includes('Alice ended the call')`)
	bob.bothSizes(t, "a direct call the other side ended", "hung-up")
}
