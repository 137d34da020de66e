// Package browsertest drives the web client in a real headless Chromium
// against the real server and a real LiveKit (calltest), with Chromium's
// fake camera and microphone.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/chattocalls/chatto/internal/calltest"
)

// chromiumPath is where Debian's chromium package puts the browser;
// scripts/install-chromium.sh installs it. CHATTO_CHROMIUM overrides it.
const chromiumPath = "/usr/bin/chromium"

// chromium returns the browser binary, failing the test (never skipping)
// when it is missing: the browser suite is the only proof the client works.
func chromium(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CHATTO_CHROMIUM")
	if p == "" {
		p = chromiumPath
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("chromium not found at %s (%v): run `bash scripts/install-chromium.sh` or set CHATTO_CHROMIUM", p, err)
	}
	return p
}

// Browser is one Chromium process with its own profile, so each user has
// their own cookies.
type Browser struct {
	t    testing.TB
	env  *calltest.Env
	name string
	base string
	ctx  context.Context // the first tab; cancelling it stops the browser
	page *Page
}

// newBrowser starts Chromium with the flags that keep WebRTC on loopback
// and give it fake media devices. It stops when the test ends.
func newBrowser(t testing.TB, env *calltest.Env, name string) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Three fake cameras so switching can be tested. Chromium gives
		// them the pixel formats I420, Y16 and MJPEG in turn; the Y16 one
		// (fake_device_1) yields no frames WebRTC can encode, so the
		// test switches to fake_device_2. The fake microphones are always
		// three.
		chromedp.Flag("use-fake-device-for-media-stream", "device-count=3"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.WindowSize(1280, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		chromedp.Cancel(cctx)
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("start chromium for %s: %v", name, err)
	}
	b := &Browser{t: t, env: env, name: name, base: env.BaseURL, ctx: ctx}
	b.page = newPage(t, env, name, env.BaseURL, ctx)
	return b
}

// Page is one tab.
type Page struct {
	t    testing.TB
	name string
	base string
	ctx  context.Context
	log  *consoleLog
}

// consoleLog keeps a page's console warnings and errors for failure reports.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

// Page returns the browser's first tab.
func (b *Browser) Page() *Page { return b.page }

// withT returns the same tab reporting to another (sub)test.
func (p *Page) withT(t testing.TB) *Page {
	return &Page{t: t, name: p.name, base: p.base, ctx: p.ctx, log: p.log}
}

// NewTab opens another tab in the same profile (so signed in as the same
// user), for test t.
func (b *Browser) NewTab(t testing.TB, label string) (*Page, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab %s: %v", label, err)
	}
	return newPage(t, b.env, b.name+"/"+label, b.base, ctx), cancel
}

// newPage watches a tab: its console warnings and errors are kept for
// failure reports, and every console message, whatever its level, is
// handed to env's leak check along with the keys the tab is given.
func newPage(t testing.TB, env *calltest.Env, name, base string, ctx context.Context) *Page {
	p := &Page{t: t, name: name, base: base, ctx: ctx, log: &consoleLog{}}
	if os.Getenv("CHATTO_BROWSER_CONSOLE") != "" {
		t.Cleanup(func() {
			p.log.mu.Lock()
			defer p.log.mu.Unlock()
			t.Logf("%s console:\n  %s", name, strings.Join(p.log.lines, "\n  "))
		})
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			env.Observe(name+"'s browser console", m.String())
			if m.Type == chromedp.ConsoleLog || m.Type == chromedp.ConsoleDebug || m.Type == chromedp.ConsoleInfo {
				continue
			}
			p.log.mu.Lock()
			if len(p.log.lines) < 200 {
				p.log.lines = append(p.log.lines, fmt.Sprintf("%s: %s", m.Type, m.Text))
			}
			p.log.mu.Unlock()
		}
	}()
	watchKeys(t, env, name, ctx)
	return p
}

// keyAnswer matches the API paths whose answers hand out a call's key
// (joins, token refreshes and the key fetched after a rotation).
var keyAnswer = regexp.MustCompile(`^/api/rooms/[^/]+/call/(join|token|key)$`)

// watchKeys tells env every E2EE key the tab's join and token answers
// carry (the page, not calltest's client, asked for them), so the leak
// check looks for them everywhere, the console included. A key it could
// not read fails the test: the check would miss it.
func watchKeys(t testing.TB, env *calltest.Env, name string, ctx context.Context) {
	responses := chromedp.Events(ctx, network.ResponseReceived)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("%s: watch the network: %v", name, err)
	}
	var mu sync.Mutex
	var unread []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(unread) > 0 {
			t.Errorf("%s: could not read the key of %v, so the leak check cannot look for it", name, unread)
		}
	})
	go func() {
		for ev, err := range responses {
			if err != nil {
				return
			}
			u, perr := url.Parse(ev.Response.URL)
			if perr != nil || ev.Response.Status >= 300 || !keyAnswer.MatchString(u.Path) {
				continue
			}
			go func() {
				// The body can be read once it has finished loading.
				for range 40 {
					res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: ev.RequestID})
					if ctx.Err() != nil {
						return
					}
					var answer struct {
						E2EEKey         string `json:"e2ee_key"`
						E2EEPreviousKey string `json:"e2ee_previous_key"`
					}
					if err == nil && json.Unmarshal(res.Body, &answer) == nil && answer.E2EEKey != "" {
						env.AddKey(answer.E2EEKey)
						if answer.E2EEPreviousKey != "" {
							env.AddKey(answer.E2EEPreviousKey)
						}
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				mu.Lock()
				unread = append(unread, u.Path)
				mu.Unlock()
			}()
		}
	}()
}

// InjectBeforeLoad runs script in every document of this tab before the
// page's own scripts.
func (p *Page) InjectBeforeLoad(script string) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		p.t.Fatalf("%s: inject script: %v", p.name, err)
	}
}

// do runs actions with a timeout, failing the test with what the page
// knows about itself.
func (p *Page) do(timeout time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// fail ends the test with the page's debug state and console.
func (p *Page) fail(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("%s: %s\n%s", p.name, fmt.Sprintf(format, args...), p.diagnostics())
}

func (p *Page) diagnostics() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		call: window.__chattoDebug && window.__chattoDebug.call(),
		tiles: window.__chattoDebug && window.__chattoDebug.tiles(),
		calls: window.__chattoDebug && window.__chattoDebug.calls(),
		error: (document.getElementById('call-error') || {}).textContent,
		participantsError: (document.getElementById('participants-error') || {}).textContent,
		state: (document.getElementById('call-state-text') || {}).textContent,
	})`))
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	return fmt.Sprintf("page state: %s\nconsole (warnings and errors):\n  %s", state, strings.Join(p.log.lines, "\n  "))
}

// Eval evaluates a JavaScript expression and decodes its JSON value.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.fail("decode %s = %s: %v", expr, raw, err)
		}
	}
}

// EvalString evaluates an expression that yields a string.
func (p *Page) EvalString(expr string) string {
	p.t.Helper()
	var s string
	p.Eval(expr, &s)
	return s
}

// Wait polls a JavaScript condition until it is true.
func (p *Page) Wait(timeout time.Duration, what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		p.fail("waiting %s for %s (%s): %v", timeout, what, cond, err)
	}
}

// Click clicks an element with a real mouse event (so it counts as a user
// gesture, as media playback needs). The mouse goes where the element is
// once it is enabled, on top, and has stayed put for 100 ms: a click
// aimed while tiles were still resizing the layout could land beside it
// and be lost, which is what a hand-raising test once did under load.
func (p *Page) Click(sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 12*time.Second)
	defer cancel()
	at, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`(async (sel) => {
		const el = document.querySelector(sel);
		if (!el || el.disabled) return null;
		el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
		const frame = () => new Promise((r) => setTimeout(r, 20));
		const box = () => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height].join(); };
		const before = box();
		for (let i = 0; i < 5; i++) await frame();
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || box() !== before) return null;
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const hit = document.elementFromPoint(x, y);
		if (!hit || (hit !== el && !el.contains(hit))) return null;
		// Note whether the click reaches this element, and if not what
		// it reached instead.
		window.__clickLanded = null;
		const seen = (e) => { window.__clickLanded = el.contains(e.target) ? 'yes' : (e.target.outerHTML || String(e.target)).slice(0, 300); };
		document.addEventListener('click', seen, { capture: true, once: true });
		return [x, y];
	})(`+strconv.Quote(sel)+`)`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || len(at) != 2 {
		p.fail("click %s: no stable, enabled, unobscured element: %v", sel, err)
	}
	p.do(5*time.Second, "click "+sel, chromedp.MouseClickXY(at[0], at[1]))
	// A click that misses is a failure here, with what it hit, rather
	// than a later wait that times out for no visible reason.
	var landed string
	p.Eval(`window.__clickLanded === null ? 'no click event at all' : window.__clickLanded`, &landed)
	if landed != "yes" {
		p.fail("click %s at (%.0f, %.0f) did not reach it: %s", sel, at[0], at[1], landed)
	}
}

// Key types keys into the focused element, as a keyboard would.
func (p *Page) Key(keys string) {
	p.t.Helper()
	p.do(5*time.Second, "press "+strconv.Quote(keys), chromedp.KeyEvent(keys))
}

// TabTo presses Tab until the element with the id has the focus.
func (p *Page) TabTo(id string, max int) {
	p.t.Helper()
	for range max {
		var focused string
		p.Eval(`document.activeElement ? document.activeElement.id : ''`, &focused)
		if focused == id {
			return
		}
		p.Key("\t")
	}
	p.fail("#%s not reached with %d presses of Tab", id, max)
}

// SignIn opens the client and signs in as a demo user.
func (p *Page) SignIn(user string) {
	p.t.Helper()
	p.do(20*time.Second, "sign in as "+user,
		chromedp.Navigate(p.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#signin-user")),
		chromedp.SendKeys(chromedp.CSS("#signin-user"), user),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), "demo"),
		chromedp.Click(chromedp.CSS(`#signin-form button[type="submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`.room-link[data-room="general"]`)),
	)
}

// Open loads the client in a tab whose profile is already signed in.
func (p *Page) Open() {
	p.t.Helper()
	p.do(20*time.Second, "open the client",
		chromedp.Navigate(p.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.room-link[data-room="general"]`)),
	)
}

// OpenRoom opens a room from the room list.
func (p *Page) OpenRoom(id string) {
	p.t.Helper()
	link := fmt.Sprintf(`.room-link[data-room=%q]`, id)
	// On a phone the room list is in a drawer behind the menu button.
	var menu string
	p.Eval(`(() => { const onScreen = (s) => { const e = document.querySelector(s); if (!e) return false; const r = e.getBoundingClientRect();
		return r.width > 0 && r.right > 0 && r.left < innerWidth };
		return onScreen(`+strconv.Quote(link)+`) ? '' : ['#nav-open', '#call-nav-open'].find(onScreen) || '' })()`, &menu)
	if menu != "" {
		p.Click(menu)
		p.Wait(5*time.Second, "the room drawer", visible(link))
	}
	p.Click(link)
	p.Wait(10*time.Second, "room "+id+" open",
		fmt.Sprintf(`location.hash === '#/rooms/%s' && !document.getElementById('room-view').hidden`, id))
}

// Join joins the open room's call, or starts a video call when none
// runs (the header offers "Join call" or "Video call"), and waits until
// the call is connected.
func (p *Page) Join() {
	p.t.Helper()
	p.ClickJoin(p.joinButton())
	p.WaitState("connected", 30*time.Second)
}

// ClickJoin clicks a button that starts, joins or answers a call and,
// when the pre-join dialog of a group call opens, joins from it with its
// defaults. It returns once the page is joining (or has refused to).
func (p *Page) ClickJoin(sel string) {
	p.t.Helper()
	p.Click(sel)
	p.PassPrejoin()
}

// PassPrejoin clicks "Join now" if the pre-join dialog is open or about
// to open; a direct call, or a page that refuses to join, skips it.
func (p *Page) PassPrejoin() {
	p.t.Helper()
	p.Wait(10*time.Second, "the pre-join dialog, or the page joining", prejoinOrJoining)
	var open bool
	p.Eval(prejoinOpen, &open)
	if open {
		p.Click("#prejoin-join")
		p.Wait(5*time.Second, "the pre-join dialog to close", `!`+prejoinOpen)
	}
}

const (
	prejoinOpen = `document.getElementById('prejoin').open`
	// The pre-join dialog is open, or the page is past it: a call session
	// is under way, or the page said why it will not join.
	prejoinOrJoining = `(` + prejoinOpen + ` || ['joining', 'connecting', 'connected', 'failed'].includes((window.__chattoDebug.call() || {}).state) || !document.getElementById('call-error').hidden)`
)

// joinButton is the header button that joins the open room's call: Join
// call when one runs, else Video call.
func (p *Page) joinButton() string {
	p.t.Helper()
	p.Wait(10*time.Second, "a join button", visible("#join")+` || `+visible("#call-video"))
	var running bool
	p.Eval(visible("#join"), &running)
	if running {
		return "#join"
	}
	return "#call-video"
}

// WaitState waits for the visible call state.
func (p *Page) WaitState(state string, timeout time.Duration) {
	p.t.Helper()
	p.Wait(timeout, "call state "+state,
		fmt.Sprintf(`(() => { const c = document.getElementById('call'); return !c.hidden && c.dataset.state === %q })()`, state))
}

// Screenshot saves a full-page PNG (quality 100 means PNG).
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail("screenshot: %v", err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(buf)); err != nil || cfg.Width < 320 {
		p.fail("screenshot is not a full-page PNG: %+v, %v", cfg, err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// Phone and desktop are the two sizes the call screen is judged at.
const (
	phoneW, phoneH     = 390, 844
	desktopW, desktopH = 1280, 800
)

// Viewport resizes the tab's viewport. A phone-sized one is emulated as
// a mobile device with touch, so the page's viewport meta tag applies and
// a page wider than the screen would zoom out, as on a real phone.
func (p *Page) Viewport(w, h int) {
	p.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if w < 640 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do(20*time.Second, fmt.Sprintf("viewport %dx%d", w, h), chromedp.EmulateViewport(int64(w), int64(h), opts...))
}

// NoHorizontalOverflow fails the test when anything on the page is wider
// than the viewport (the page would scroll sideways or zoom out).
func (p *Page) NoHorizontalOverflow(w int) {
	p.t.Helper()
	var got struct {
		Inner, Scroll int
		Widest        string
	}
	p.Eval(`(() => {
		const de = document.documentElement;
		let widest = '';
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > window.innerWidth + 1) { widest = (el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className) + ' right=' + Math.round(r.right); break; }
		}
		return { Inner: window.innerWidth, Scroll: de.scrollWidth, Widest: widest };
	})()`, &got)
	if got.Inner != w || got.Scroll > w || got.Widest != "" {
		p.fail("horizontal overflow at %d px: innerWidth %d, scrollWidth %d, first element past the edge: %s", w, got.Inner, got.Scroll, got.Widest)
	}
}

// Shot saves a screenshot of the viewport under the test's artifacts
// (go test -artifacts), named name.png.
func (p *Page) Shot(t *testing.T, name string) {
	t.Helper()
	p.Screenshot(filepath.Join(t.ArtifactDir(), name+".png"))
}

// tile is what the client's debug hook reports about one participant tile.
type tile struct {
	Identity    string  `json:"identity"`
	Name        string  `json:"name"`
	Local       bool    `json:"local"`
	AudioLevel  float64 `json:"audioLevel"`
	VideoWidth  int     `json:"videoWidth"`
	VideoFrames int     `json:"videoFrames"`
	Tracks      []struct {
		Kind       string `json:"kind"`
		Source     string `json:"source"`
		Encrypted  bool   `json:"encrypted"`
		Muted      bool   `json:"muted"`
		Subscribed bool   `json:"subscribed"`
		Device     string `json:"device"`
	} `json:"tracks"`
}

// Tiles returns the participant tiles the page shows.
func (p *Page) Tiles() []tile {
	p.t.Helper()
	var out []tile
	p.Eval(`window.__chattoDebug.tiles()`, &out)
	return out
}

// callDebug is the client's view of its own call.
type callDebug struct {
	State            string `json:"state"`
	Identity         string `json:"identity"`
	CallID           string `json:"callId"`
	E2EEEnabled      bool   `json:"e2eeEnabled"`
	TokenRefreshes   int    `json:"tokenRefreshes"`
	LastRefreshAt    string `json:"lastRefreshAt"`
	TokenExpiresAt   string `json:"tokenExpiresAt"`
	EncryptionErrors int    `json:"encryptionErrors"`
	LastError        string `json:"lastError"`
	KeyIndex         int    `json:"keyIndex"`
}

// Call returns the client's call state.
func (p *Page) Call() callDebug {
	p.t.Helper()
	var out callDebug
	p.Eval(`window.__chattoDebug.call() || {}`, &out)
	return out
}

// localDevice is the name of the device the page's own published track
// of this source ("camera", "microphone") captures from.
func (p *Page) localDevice(source string) string {
	p.t.Helper()
	return p.EvalString(fmt.Sprintf(
		`(window.__chattoDebug.tiles().find(t => t.local).tracks.find(tr => tr.source === %q) || {}).device || ''`, source))
}

// tileSel selects the tile of a user's device on a page.
func tileSel(user string) string { return fmt.Sprintf(`#tiles .tile[data-user=%q]`, user) }

// tileAttr is a JS expression for a data attribute of a user's tile.
func tileAttr(user, attr string) string {
	return fmt.Sprintf(`((document.querySelector(%q) || {dataset: {}}).dataset[%q] || '')`, tileSel(user), attr)
}

// visible is a JS expression: the element exists and takes up space.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 })()`, sel)
}

// marker logs how long a test has run at each step, to find slow steps.
func marker(t *testing.T) func(string) {
	start := time.Now()
	return func(what string) { t.Logf("+%s %s", time.Since(start).Round(100*time.Millisecond), what) }
}
