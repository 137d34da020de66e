package browsertest

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
)

// JS expressions about the open room's call items.
const (
	callItems     = `document.querySelectorAll('#timeline li[data-call]')`
	liveItem      = `document.querySelector('#timeline li[data-call][data-state="live"]')`
	timelineItems = `document.querySelectorAll('#timeline li')`
)

// callItemOf is the call item of one call id.
func callItemOf(id string) string {
	return fmt.Sprintf(`document.querySelector('#timeline li[data-call=%q]')`, id)
}

// timelineCall is what a call item shows.
type timelineCall struct {
	Call, Kind, State, Outcome, Text string
	Join, Live                       bool
	People                           string
}

const readCallItems = `[...` + callItems + `].map(e => ({
	Call: e.dataset.call, Kind: e.dataset.kind, State: e.dataset.state, Outcome: e.dataset.outcome || '',
	Text: e.querySelector('.call-item-text').textContent,
	Join: !e.querySelector('.call-item-join').hidden, Live: !e.querySelector('.call-item-live').hidden,
	People: e.querySelector('.call-item-people').hidden ? '' : e.querySelector('.call-item-names').textContent }))`

func readItems(p *Page) []timelineCall {
	var out []timelineCall
	p.Eval(readCallItems, &out)
	return out
}

// The one duration format: "42s", "1m 34s", "1h 2m".
const durationRE = `(\d+s|\d+m \d+s|\d+h \d+m)`

// Each call is one timeline item, whatever notices the server posts for
// it: three calls make three items. A running call's item offers Join
// (which joins), shows who is in it and a live badge; when the call ends
// the same element becomes its outcome, with the duration in the one
// format and who ended it, worded for each reader. A removal is said once
// on the removed person's page. A reload shows the same items, and a call
// whose start is older than the loaded page of messages still has its
// item, live and then ended.
func TestTimelineShowsOneItemPerCall(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	aliceAPI, carolAPI := env.Login("alice"), env.Login("carol")

	// Two calls before anyone looks: one that ends when its last person
	// leaves, and one Alice (an admin of general) ends for everyone.
	aliceAPI.Join("general", "d1")
	aliceAPI.Leave("general", "d1")
	carolAPI.Join("general", "c1")
	if st, code := aliceAPI.Post("/api/rooms/general/call/end", nil); st != 200 {
		t.Fatalf("end for everyone = %d %s", st, code)
	}

	pages := signedIn(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	waitStreams(alice, bob)
	alice.OpenRoom("general")
	bob.OpenRoom("general")
	bob.Wait(10*time.Second, "two call items", callItems+`.length === 2 && `+timelineItems+`.length === 2`)
	endedRE := regexp.MustCompile(`^Video call · ` + durationRE + ` · Carol · Alice ended the call for everyone$`)
	if items := readItems(bob); items[0].Kind != "call_ended" || !regexp.MustCompile(`^Video call · `+durationRE+` · Alice$`).MatchString(items[0].Text) ||
		items[1].Kind != "call_ended" || !endedRE.MatchString(items[1].Text) || items[0].Join || items[1].Live {
		bob.fail("the two ended calls read %+v", items)
	}
	mark("two ended calls, one item each")

	// A third call: Bob's item offers Join while Alice is in it.
	alice.Join()
	bob.Wait(10*time.Second, "a live item with Join", callItems+`.length === 3 && !!`+liveItem+` && `+liveItem+`.dataset.call === [...`+callItems+`].pop().dataset.call`)
	var third string
	bob.Eval(liveItem+`.dataset.call`, &third)
	item := callItemOf(third)
	bob.Wait(10*time.Second, "the live item says who started it and who is in it",
		item+`.querySelector('.call-item-text').textContent === 'Alice started a video call' && !`+item+`.querySelector('.call-item-live').hidden`+
			` && `+item+`.querySelector('.call-item-names').textContent === 'Alice'`)
	// The badge and the button are readable (WCAG AA, 4.5:1).
	for _, sel := range []string{".call-item-live", ".call-item-join"} {
		var ratio float64
		bob.Eval(itemContrast(item+`.querySelector('`+sel+`')`), &ratio)
		if ratio < 4.5 {
			bob.fail("%s contrast %.2f:1, want at least 4.5:1", sel, ratio)
		}
	}
	bob.Eval(item+`.__mark = 'third'`, nil)
	bob.Viewport(desktopW, desktopH)
	bob.Shot(t, "timeline-live-desktop")
	bob.Viewport(phoneW, phoneH)
	bob.NoHorizontalOverflow(phoneW)
	bob.Eval(item+`.scrollIntoView()`, nil)
	bob.Shot(t, "timeline-live-phone")
	bob.Viewport(desktopW, desktopH)
	mark("live item")

	bob.Click(`#timeline li[data-call="` + third + `"] .call-item-join`)
	bob.WaitState("connected", 30*time.Second)
	bob.Wait(10*time.Second, "bob's item lists both and no longer offers Join",
		item+`.querySelector('.call-item-names').textContent === 'Alice, Bob' && `+item+`.querySelector('.call-item-join').hidden`)
	if id := bob.Call().CallID; id != third {
		bob.fail("joined call %q from the item of call %q", id, third)
	}
	mark("joined from the timeline")

	// Removed: the page says so once.
	bobID := bob.Call().Identity
	if code := aliceAPI.Do("DELETE", "/api/rooms/general/call/participants/"+url.PathEscape(bobID), nil, nil); code != 200 {
		t.Fatalf("remove bob = %d", code)
	}
	bob.WaitState("ended", 10*time.Second)
	bob.Wait(5*time.Second, "the removal is said once",
		`document.getElementById('call-error').textContent === 'An admin removed you from the call.' && document.body.innerText.split('An admin removed you').length === 2`)
	mark("removal said once")

	// Alice ends it for everyone: the same element becomes its outcome.
	alice.Click("#call-more")
	alice.Click("#end-call")
	alice.Wait(5*time.Second, "asked to confirm", `window.__chattoDebug.confirm().open`)
	alice.Click("#confirm-ok")
	outcome := func(who string) string {
		return fmt.Sprintf(`%s.dataset.kind === 'call_ended' && %s.dataset.state === 'ended' && %s.querySelector('.call-item-join').hidden`+
			` && /^Video call · %s · Alice, Bob · %s$/.test(%s.querySelector('.call-item-text').textContent)`,
			item, item, item, durationRE, who, item)
	}
	bob.Wait(10*time.Second, "bob's item becomes the outcome, saying who ended it", outcome("Alice ended the call for everyone")+` && `+item+`.__mark === 'third'`)
	alice.Wait(10*time.Second, "alice's item says she ended it", outcome("You ended the call for everyone"))
	for _, p := range []*Page{alice, bob} {
		p.Wait(5*time.Second, "exactly three call items", callItems+`.length === 3 && `+timelineItems+`.length === 3`)
	}
	before := readItems(bob)
	bob.Viewport(desktopW, desktopH)
	bob.Shot(t, "timeline-ended-desktop")
	bob.Viewport(phoneW, phoneH)
	bob.NoHorizontalOverflow(phoneW)
	bob.Shot(t, "timeline-ended-phone")
	bob.Viewport(desktopW, desktopH)
	mark("ended in place")

	// A reload shows the same items.
	bob.Open()
	bob.OpenRoom("general")
	bob.Wait(10*time.Second, "three call items after a reload", callItems+`.length === 3`)
	if after := readItems(bob); !slices.Equal(after, before) {
		bob.fail("after a reload the items are %+v, want %+v", after, before)
	}
	mark("reload")

	// A call whose start is older than the loaded page of messages (the
	// host returns the latest 200) still has its item.
	alice.Join()
	bob.Wait(10*time.Second, "a fourth, live call", callItems+`.length === 4 && !!`+liveItem)
	for i := range 200 {
		if st, _ := carolAPI.Post("/api/rooms/general/messages", map[string]string{"text": fmt.Sprintf("message %d", i)}); st != 200 && st != 201 {
			t.Fatalf("post message %d = %d", i, st)
		}
	}
	bob.Open()
	bob.OpenRoom("general")
	bob.Wait(10*time.Second, "the running call's item, first, with Join", callItems+`.length === 1 && `+timelineItems+`.length === 201 && `+
		timelineItems+`[0] === `+liveItem+` && !`+liveItem+`.querySelector('.call-item-join').hidden`+
		` && `+liveItem+`.querySelector('.call-item-text').textContent === 'Alice started a video call'`)
	bob.Eval(liveItem+`.__mark = 'fourth'`, nil)
	alice.Click("#leave")
	bob.Wait(10*time.Second, "it ends in place", timelineItems+`[0].__mark === 'fourth' && `+callItems+`.length === 1`+
		` && /^Video call · `+durationRE+` · Alice$/.test(`+timelineItems+`[0].querySelector('.call-item-text').textContent)`)
	mark("older than the page")
}

// The skip link is there only while a room is open, and it moves focus
// into the room without closing it.
func TestSkipLinkOnlyWhereItsTargetIs(t *testing.T) {
	env := calltest.Start(t)
	p := signedIn(t, env, "bob")[0]
	const skip = `document.getElementById('skip-link')`
	p.Wait(5*time.Second, "no skip link without an open room", skip+`.hidden && getComputedStyle(`+skip+`).display === 'none'`)
	p.OpenRoom("general")
	p.Wait(5*time.Second, "a skip link with a room open", `!`+skip+`.hidden`)
	p.Wait(2*time.Second, "the skip link is the page's first focusable element",
		`[...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')].find(e => !e.closest('[hidden]')) === `+skip)
	p.Eval(skip+`.focus()`, nil)
	p.Wait(2*time.Second, "the focused skip link is on screen", `document.activeElement === `+skip+` && `+skip+`.getBoundingClientRect().left >= 0`)
	p.Key("\r")
	p.Wait(2*time.Second, "focus is in the room, which stays open",
		`document.activeElement.id === 'main' && location.hash === '#/rooms/general' && !document.getElementById('room-view').hidden`)
	p.Eval(`location.hash = ''`, nil)
	p.Wait(5*time.Second, "the skip link goes with the room", skip+`.hidden`)
}

// itemContrast is a JS expression: the contrast ratio of an element's text
// colour against its own background colour (both opaque).
func itemContrast(el string) string {
	return `(() => { const e = ` + el + `; const s = getComputedStyle(e);
		const lum = c => { const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 });
			return 0.2126 * r + 0.7152 * g + 0.0722 * b };
		const a = lum(s.color), b = lum(s.backgroundColor);
		return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) })()`
}
