package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/chattocalls/chatto/internal/calltest"
)

// Layout tests judge the call screen at the two sizes it is designed for,
// desktop (1280×800) and phone (390×844), and save screenshots of each.

// sizes are the viewports every layout test checks.
var sizes = []struct {
	name string
	w, h int
}{{"desktop", desktopW, desktopH}, {"phone", phoneW, phoneH}}

// callFit is what a page reports about how its call screen fits the viewport.
type callFit struct {
	InnerW, InnerH, ScrollW, ScrollH float64
	Stage                            rect
	Tiles                            []rect
	Bar                              rect
	Overflow                         bool
}

type rect struct{ Left, Top, Right, Bottom, Width, Height float64 }

const rectJS = `const box = (e) => { const r = e.getBoundingClientRect(); return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height}; };`

func (p *Page) callFit() callFit {
	p.t.Helper()
	var f callFit
	p.Eval(`(() => { `+rectJS+`
		const se = document.scrollingElement;
		return {
			InnerW: innerWidth, InnerH: innerHeight, ScrollW: se.scrollWidth, ScrollH: se.scrollHeight,
			Stage: box(document.getElementById('stage')),
			Tiles: [...document.querySelectorAll('#tiles .tile:not(.off-stage)')].map(box),
			Bar: box(document.querySelector('#call .controls')),
			Overflow: !document.querySelector('.tile-overflow').hidden,
		};
	})()`, &f)
	return f
}

// fitsWithoutScrolling fails unless the call screen, its tiles and its
// control bar are inside the viewport and the page does not scroll.
func (p *Page) fitsWithoutScrolling(size string) callFit {
	p.t.Helper()
	// The grid is laid out again when the stage changes size (a resize
	// observer): wait for it to settle inside the stage.
	p.Wait(10*time.Second, "the tiles laid out inside the stage", `(() => {
		const s = document.getElementById('stage').getBoundingClientRect();
		return [...document.querySelectorAll('#tiles .tile:not(.off-stage)')].every(t => {
			const r = t.getBoundingClientRect();
			return r.width > 0 && r.left >= s.left - 0.5 && r.right <= s.right + 0.5 && r.top >= s.top - 0.5 && r.bottom <= s.bottom + 0.5;
		});
	})()`)
	f := p.callFit()
	if f.ScrollH > f.InnerH || f.ScrollW > f.InnerW {
		p.fail("%s: the page scrolls: scroll %v×%v in a %v×%v viewport", size, f.ScrollW, f.ScrollH, f.InnerW, f.InnerH)
	}
	for i, r := range append([]rect{f.Bar}, f.Tiles...) {
		if r.Width == 0 || r.Left < -0.5 || r.Top < -0.5 || r.Right > f.InnerW+0.5 || r.Bottom > f.InnerH+0.5 {
			p.fail("%s: box %d %+v is not inside the %v×%v viewport", size, i, r, f.InnerW, f.InnerH)
		}
	}
	return f
}

// noModeration is a JS condition: the page offers no moderation control.
const noModeration = `[...document.querySelectorAll('.tile-menu, .p-menu, #end-call')].every(e => e.hidden || e.getClientRects().length === 0)`

// A 1:1 call in the alice/bob direct room: on both pages, at desktop and
// phone size, the other person fills the stage and the self-view is a
// picture-in-picture smaller than a quarter of it; nothing moderates.
func TestOneToOneCallShowsTheOtherPersonAndASmallSelfView(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := aliceRingsBob(t, env)
	bob.Click("#incoming-accept")
	bob.WaitState("connected", 30*time.Second)
	for _, p := range []*Page{alice, bob} {
		p.Wait(30*time.Second, "two tiles with playing video", `document.querySelectorAll('#tiles .tile[data-video="playing"]').length === 2`)
	}
	for _, size := range sizes {
		for _, p := range []*Page{alice, bob} {
			p.Viewport(size.w, size.h)
			p.Wait(5*time.Second, "the 1:1 arrangement", `document.getElementById('tiles').dataset.pair === 'true'`)
			f := p.fitsWithoutScrolling(size.name)
			var got struct{ Remote, Local rect }
			p.Eval(`(() => { `+rectJS+` return {
				Remote: box(document.querySelector('#tiles .tile[data-local="false"]')),
				Local: box(document.querySelector('#tiles .tile[data-local="true"]')) }; })()`, &got)
			if got.Remote.Width < f.Stage.Width-1 || got.Remote.Height < f.Stage.Height-1 {
				p.fail("%s: the other person's tile %+v does not fill the stage %+v", size.name, got.Remote, f.Stage)
			}
			if got.Local.Width*got.Local.Height >= f.Stage.Width*f.Stage.Height/4 ||
				got.Local.Left < f.Stage.Left || got.Local.Right > f.Stage.Right || got.Local.Bottom > f.Stage.Bottom {
				p.fail("%s: self-view %+v is not a small picture-in-picture inside the stage %+v", size.name, got.Local, f.Stage)
			}
			p.Wait(5*time.Second, "no moderation in a direct call", noModeration)
			p.Shot(t, fmt.Sprintf("one-to-one-%s-%s", size.name, p.name))
		}
	}
}

// A group call of three in general: at desktop and phone size every tile
// is inside the viewport and the page does not scroll, with the control
// bar at the bottom of a phone's screen. Alice (admin) has a menu per
// person, on tiles and in the people panel, with menu-button keyboard
// behaviour; Carol (member) has none. With the chat, the people panel or
// the room drawer open, nothing is wider than a 360, 390 or 430 px phone.
func TestGroupCallFitsTheScreenWithMenusAndPanels(t *testing.T) {
	env := calltest.Start(t)
	pages := inGeneral(t, env, "alice", "bob", "carol")
	alice, carol := pages[0], pages[2]
	alice.Wait(30*time.Second, "three tiles", `document.querySelectorAll('#tiles .tile').length === 3`)
	for _, size := range sizes {
		alice.Viewport(size.w, size.h)
		alice.Wait(5*time.Second, "a grid of three", `document.getElementById('tiles').dataset.pair === 'false'`)
		f := alice.fitsWithoutScrolling(size.name)
		if len(f.Tiles) != 3 || f.Overflow {
			alice.fail("%s: %d tiles shown (overflow tile %v), want all 3", size.name, len(f.Tiles), f.Overflow)
		}
		if size.name == "phone" && (f.Bar.Bottom < f.InnerH-80 || f.Bar.Bottom > f.InnerH) {
			alice.fail("phone: control bar %+v is not at the bottom of the %v px screen", f.Bar, f.InnerH)
		}
		alice.Shot(t, "group-"+size.name)
	}

	// The admin's per-person menu: on bob's tile, a menu button.
	alice.Viewport(desktopW, desktopH)
	carol.Wait(5*time.Second, "carol has no moderation", noModeration)
	menuBtn := tileSel("bob") + " .tile-menu"
	alice.Wait(5*time.Second, "a menu button on bob's tile", visible(menuBtn)+` && document.querySelector('`+menuBtn+`').getAttribute('aria-haspopup') === 'menu'`)
	alice.Click(menuBtn)
	alice.Wait(5*time.Second, "bob's menu is open with focus on its first item", `(() => {
		const m = document.getElementById('person-menu');
		return !m.hidden && m.getAttribute('role') === 'menu' && document.activeElement === m.querySelector('[role=menuitem]')
			&& document.querySelector('`+menuBtn+`').getAttribute('aria-expanded') === 'true';
	})()`)
	var items []string
	alice.Eval(`[...document.querySelectorAll('#person-menu [role=menuitem]')].map(b => b.textContent)`, &items)
	if fmt.Sprint(items) != "[Make listener Mute microphone Mute camera Remove from call]" {
		alice.fail("bob's menu lists %q", items)
	}
	alice.Key(kb.ArrowDown)
	alice.Wait(5*time.Second, "arrow down moves to the next item", `document.activeElement.textContent === 'Mute microphone'`)
	alice.Shot(t, "person-menu-desktop")
	alice.Key(kb.Escape)
	alice.Wait(5*time.Second, "escape closes the menu and focus goes back", `document.getElementById('person-menu').hidden && document.activeElement === document.querySelector('`+menuBtn+`')`)

	// Shortcuts: M mutes the microphone when focus is not in a text field; ? lists them.
	alice.Eval(`document.activeElement.blur(), true`, nil)
	alice.Key("m")
	alice.Wait(5*time.Second, "M mutes the microphone", `document.getElementById('mic-toggle').getAttribute('aria-pressed') === 'true' && `+tileAttr("alice", "mic")+` === 'off'`)
	alice.Key("m")
	alice.Wait(5*time.Second, "M unmutes it", `document.getElementById('mic-toggle').getAttribute('aria-pressed') === 'false'`)
	// Typing in a text field is not a shortcut: the chat's composer takes the m.
	alice.Click("#chat-toggle")
	alice.Wait(5*time.Second, "the chat opens with focus in the composer", `document.activeElement.id === 'composer-text'`)
	alice.Key("m")
	alice.Wait(5*time.Second, "the m is typed", `document.getElementById('composer-text').value === 'm'`)
	if alice.EvalString(`document.getElementById('mic-toggle').getAttribute('aria-pressed')`) != "false" {
		alice.fail("typing m in the composer muted the microphone")
	}
	alice.Eval(`document.getElementById('composer-text').value = '', true`, nil)
	alice.Click("#chat-close")
	alice.Eval(`document.activeElement.blur(), true`, nil)
	alice.Key("?")
	alice.Wait(5*time.Second, "? shows the shortcuts", visible("#shortcuts")+
		` && ['M', 'V', 'S', 'H', 'C', 'P', '?'].every(k => [...document.querySelectorAll('#shortcut-list kbd')].some(e => e.textContent === k))`)
	alice.Shot(t, "shortcuts-desktop")
	alice.Key(kb.Escape)
	alice.Wait(5*time.Second, "escape closes the shortcuts", `document.getElementById('shortcuts').hidden`)
	alice.Click("#call-more")
	alice.Wait(5*time.Second, "More offers the shortcuts", visible("#shortcuts-open"))
	alice.Click("#shortcuts-open")
	alice.Wait(5*time.Second, "the shortcuts from More", visible("#shortcuts"))
	alice.Click("#shortcuts-close")

	// Side panels on a wide screen sit beside the stage.
	alice.Click("#chat-toggle")
	alice.Click("#people-toggle")
	alice.Wait(5*time.Second, "chat and people beside the stage", visible("#chat-panel")+` && `+visible("#participants")+` && `+visible(rowOf("bob")+" .p-menu"))
	alice.fitsWithoutScrolling("desktop with panels")
	alice.Shot(t, "panels-desktop")
	alice.Click("#chat-toggle")
	alice.Click("#people-toggle")

	// Phones: chat, people and the room drawer never overflow sideways.
	for _, w := range []int{360, 390, 430} {
		alice.Viewport(w, phoneH)
		alice.NoHorizontalOverflow(w)
		alice.Click("#chat-toggle")
		alice.Wait(5*time.Second, "the chat drawer", visible("#chat-panel")+` && `+visible("#composer-text"))
		alice.NoHorizontalOverflow(w)
		alice.Shot(t, fmt.Sprintf("chat-%d", w))
		alice.Click("#chat-close")
		alice.Wait(5*time.Second, "focus back on Chat", `!(`+visible("#chat-panel")+`) && document.activeElement.id === 'chat-toggle'`)
		alice.Click("#people-toggle")
		alice.Wait(5*time.Second, "the people sheet", visible(rowOf("bob")+" .p-menu"))
		alice.NoHorizontalOverflow(w)
		alice.Shot(t, fmt.Sprintf("people-%d", w))
		alice.Click("#participants-close")
		alice.Click("#call-nav-open")
		alice.Wait(5*time.Second, "the room drawer", visible(`.room-link[data-room="alice-bob"]`)+` && document.activeElement.id === 'nav-close'`)
		alice.NoHorizontalOverflow(w)
		alice.Shot(t, fmt.Sprintf("menu-%d", w))
		alice.Key(kb.Escape)
		alice.Wait(5*time.Second, "escape closes the drawer, focus back on the menu button",
			`getComputedStyle(document.querySelector('.sidebar')).visibility === 'hidden' && document.activeElement.id === 'call-nav-open'`)
	}
}

// A voice call: nobody's tile shows a video box, everyone is an avatar
// with a speaking ring.
func TestVoiceCallShowsAvatarTiles(t *testing.T) {
	env := calltest.Start(t)
	pages := signedIn(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	waitStreams(alice, bob)
	alice.OpenRoom("general")
	alice.ClickJoin("#call-audio")
	alice.WaitState("connected", 30*time.Second)
	bob.OpenRoom("general")
	bob.Join()
	const avatarsOnly = `document.querySelectorAll('#tiles .tile').length === 2
		&& [...document.querySelectorAll('#tiles video')].every(v => v.getClientRects().length === 0)
		&& [...document.querySelectorAll('#tiles .tile .avatar')].every(a => a.getClientRects().length > 0 && a.textContent.trim() !== '')`
	for _, size := range sizes {
		bob.Viewport(size.w, size.h)
		bob.Wait(20*time.Second, "two avatar tiles, no video box", avatarsOnly)
		bob.Wait(20*time.Second, "alice's speaking ring moves", tileAttr("alice", "audioLevel")+` > 0`)
		bob.fitsWithoutScrolling(size.name)
		bob.Shot(t, "voice-"+size.name)
	}
}

// A listener is told they are listening and can raise a hand; no
// disabled microphone, camera or share buttons and no empty device lists.
func TestListenerSeesNoDeadControls(t *testing.T) {
	env := calltest.Start(t)
	pages := signedIn(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	alice.OpenRoom("general")
	alice.Join()
	bob.OpenRoom("general")
	bob.Click(bob.joinButton())
	bob.Wait(5*time.Second, "the pre-join dialog", prejoinOpen)
	bob.Click("#prejoin-listener")
	bob.Click("#prejoin-join")
	bob.WaitState("connected", 30*time.Second)
	for _, size := range sizes {
		bob.Viewport(size.w, size.h)
		bob.Wait(10*time.Second, "a listener's screen", `window.__chattoDebug.call().role === 'listener'`+
			` && document.getElementById('listener-note').textContent.startsWith('You’re listening') && `+visible("#listener-note")+
			` && `+visible("#hand-toggle")+
			` && ['mic-toggle', 'cam-toggle', 'screen-toggle', 'mic-select', 'cam-select'].every(id => document.getElementById(id).getClientRects().length === 0)`+
			` && [...document.querySelectorAll('#call button, #call select')].every(e => !e.disabled || e.getClientRects().length === 0)`)
		bob.fitsWithoutScrolling(size.name)
		bob.Shot(t, "listener-"+size.name)
	}
}
