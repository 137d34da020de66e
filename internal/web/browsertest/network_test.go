package browsertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chromedp/chromedp"
)

// stateIs is a JS condition: the call panel shows this state, with a
// state line matching the pattern.
func stateIs(state, text string) string {
	return fmt.Sprintf(`(() => { const c = document.getElementById('call');
		return !c.hidden && c.dataset.state === %q && %s.test(document.getElementById('call-state-text').textContent) })()`, state, text)
}

// Alice's page loses its whole network (HTTP, WebSocket and WebRTC: her
// browser's network service is paused, see pauseNetwork) in a call with Bob: within 2 s by its own clock it shows "Reconnecting…" (the
// call's data-state and the state line), it keeps saying so while the
// network stays away, and once the network is back it shows "Connected"
// again and Bob decodes Alice's video again.
func TestAPageThatLosesItsNetworkShowsReconnectingAndRecovers(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	pages := inGeneral(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	bob.Wait(30*time.Second, "alice's video decoding on bob's page", videoFramesExpr("alice")+` > 3`)
	alice.Wait(30*time.Second, "bob's video decoding on alice's page", videoFramesExpr("bob")+` > 3`)
	alice.Wait(5*time.Second, "alice connected", stateIs("connected", `/^Connected/`))
	mark("both in the call, media flowing")

	var cutAt float64
	alice.Eval(`Date.now()`, &cutAt)
	stop := pauseNetwork(alice)
	alice.Wait(15*time.Second, "alice's page says it is reconnecting", stateIs("reconnecting", `/^Reconnecting/`))
	var lost struct {
		StateSince float64        `json:"stateSince"`
		LinkDown   string         `json:"linkDown"`
		Link       map[string]any `json:"link"`
	}
	alice.Eval(`window.__chattoDebug.call()`, &lost)
	shown := time.Duration(lost.StateSince-cutAt) * time.Millisecond
	t.Logf("reconnecting shown %s after the cut (alice's clock), because the link was down: %s (%v)", shown, lost.LinkDown, lost.Link)
	// The requirement: "Reconnecting…" within 2 s of losing the connection.
	if shown > 2*time.Second {
		alice.fail("reconnecting shown %s after the network was cut; want within 2s", shown)
	}
	alice.Wait(2*time.Second, "the banner explains, alice's own link shows lost and bob's unknown (alice hears no ratings now)",
		visible(`#call-banner[data-kind="reconnecting"]`)+` && `+tileAttr("alice", "quality")+` === 'lost' && `+tileAttr("bob", "quality")+` === 'unknown'`)
	alice.Viewport(desktopW, desktopH)
	alice.Shot(t, "reconnecting-desktop")
	alice.Viewport(phoneW, phoneH)
	alice.Shot(t, "reconnecting-phone")
	alice.Viewport(desktopW, desktopH)

	// Still down a while later: nothing flips the page back to
	// "Connected" while the network is away.
	time.Sleep(6 * time.Second) // the outage's length, not an assertion
	if got := alice.Call().State; got != "reconnecting" {
		alice.fail("state %q after 6 s without a network; want reconnecting", got)
	}
	mark("alice reconnecting while offline")

	stop()
	alice.Wait(45*time.Second, "alice's page is connected again", stateIs("connected", `/^Connected/`))
	alice.Wait(2*time.Second, "the banner is gone", `document.getElementById('call-banner').hidden || !console.log('banner', document.getElementById('call-banner').dataset.kind, JSON.stringify(window.__chattoDebug.call()))`)
	bob.Wait(30*time.Second, "alice's video decodes again on bob's page", framesAdvance("alice", 10))
	mark("alice connected again")
}

// framesAdvance is a JS condition for Wait: who's tile decoded n more video
// frames since the first poll (a new tile after a rejoin starts again).
func framesAdvance(who string, n int) string {
	return fmt.Sprintf(`(() => { const f = %s; const k = '__framesBase_%s';
		if (window[k] === undefined || f < window[k]) window[k] = f;
		const ok = f >= window[k] + %d; if (ok) delete window[k]; return ok })()`, videoFramesExpr(who), who, n)
}

// pauseNetwork stops (SIGSTOP) the network service process of the tab's
// Chromium: every socket of that browser — HTTP, the signal WebSocket and
// the WebRTC peer connections' UDP — stops moving in both directions, as
// when a cable is pulled, while the page's renderer and its JavaScript
// keep running. Each user has a browser of their own, so only this page
// loses its network. It returns the function that resumes it (also run
// when the test ends).
func pauseNetwork(p *Page) (resume func()) {
	p.t.Helper()
	b := chromedp.FromContext(p.ctx).Browser
	if b == nil || b.Process() == nil {
		p.fail("no browser process to find the network service of")
	}
	pid := networkServiceOf(b.Process().Pid)
	if pid == 0 {
		p.fail("chromium %d runs no network service process", b.Process().Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		p.fail("stop network service %d: %v", pid, err)
	}
	var once sync.Once
	resume = func() {
		once.Do(func() {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				p.t.Errorf("resume network service %d: %v", pid, err)
			}
		})
	}
	p.t.Cleanup(resume)
	return resume
}

// networkServiceOf finds the network service among the descendants of a
// Chromium process, by its command line.
func networkServiceOf(root int) int {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after the last ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if bytes.Contains(cmd, []byte("--utility-sub-type=network.mojom.NetworkService")) {
			return pid
		}
		queue = append(queue, children[pid]...)
	}
	return 0
}

// LiveKit's SFU rates every participant's link from that participant's own
// streams and sends the ratings, by participant id, to the others (the ones
// they subscribe to) and to the participant itself. Carol's link is the bad
// one: on Carol's page her own tile, her row in the participant list and
// the banner say so and Alice stays fine; on Alice's page Carol's tile and
// row say poor and Alice's own do not, with no banner.
//
// The ratings are handed to livekit-client where the SFU's signal message
// enters it, not produced by a lossy network: Chromium 156's network
// emulation (Network.emulateNetworkConditions and ...ByRule, offline or
// packetLoss) leaves WebRTC on loopback untouched here — media kept flowing
// under 100% emulated loss — and without iptables or a per-page TURN relay
// no honest per-page packet loss is possible, so this checks the mapping
// from LiveKit's updates to the people shown, not the SFU's rating.
func TestConnectionQualityIsShownForTheParticipantWhoseLinkIsBad(t *testing.T) {
	env := calltest.Start(t)
	pages := inGeneral(t, env, "alice", "carol")
	alice, carol := pages[0], pages[1]
	for _, p := range pages {
		p.Wait(20*time.Second, "both tiles", `document.querySelectorAll('#tiles .tile').length === 2`)
	}
	var sids map[string]string
	carol.Eval(`window.__chattoDebug.call().sids`, &sids)
	aliceID, carolID := alice.Call().Identity, carol.Call().Identity
	if sids[aliceID] == "" || sids[carolID] == "" {
		carol.fail("no LiveKit participant ids for %s and %s: %v", aliceID, carolID, sids)
	}
	const poor, excellent = 0, 2 // livekit.ConnectionQuality
	update := fmt.Sprintf(`window.__chattoDebug.simulateQualityUpdate([{sid: %q, quality: %d}, {sid: %q, quality: %d}])`,
		sids[carolID], poor, sids[aliceID], excellent)
	row := func(who string) string {
		return fmt.Sprintf(`((window.__chattoDebug.participants().find(p => p.identity.startsWith('%s#')) || {}).quality || '')`, who)
	}

	var ok bool
	carol.Eval(update, &ok)
	if !ok {
		carol.fail("no LiveKit room to hand the update to")
	}
	carol.Wait(3*time.Second, "carol's own link shown poor, alice's excellent, on carol's page",
		tileAttr("carol", "quality")+` === 'poor' && `+row("carol")+` === 'poor' && `+
			tileAttr("alice", "quality")+` === 'excellent' && `+row("alice")+` === 'excellent' && `+
			visible(`#call-banner[data-kind="poor"]`))

	alice.Eval(update, &ok)
	alice.Wait(3*time.Second, "carol shown poor and alice not, on alice's page",
		tileAttr("carol", "quality")+` === 'poor' && `+row("carol")+` === 'poor' && `+
			tileAttr("alice", "quality")+` === 'excellent' && `+row("alice")+` === 'excellent' && `+
			`document.getElementById('call-banner').hidden`)
}

// TestACallWhereNothingFlowsIsNotALostConnection: the media-path watch
// judges silence only while the SFU must be sending (a track published
// unmuted, an unmuted remote track subscribed). With both people muted
// and their cameras off nothing flows at all, and neither page may call
// that "Reconnecting…" (it did, 800 ms after the last packet, before the
// watch asked whether anything should flow).
func TestACallWhereNothingFlowsIsNotALostConnection(t *testing.T) {
	env := calltest.Start(t)
	pages := inGeneral(t, env, "alice", "bob")
	for _, p := range pages {
		p.Wait(30*time.Second, "media flowing", `window.__chattoDebug.tiles().filter(t => !t.local && t.videoFrames > 3).length === 1`)
	}
	for _, p := range pages {
		p.Click("#mic-toggle")
		p.Click("#cam-toggle")
	}
	for _, p := range pages {
		p.Wait(10*time.Second, "everyone muted with the camera off on "+p.name,
			`window.__chattoDebug.tiles().every(t => t.tracks.every(tr => tr.muted))`)
		p.Eval(`(() => { window.__sawReconnecting = false; const c = document.getElementById('call');
			new MutationObserver(() => { if (c.dataset.state === 'reconnecting') window.__sawReconnecting = true; })
				.observe(c, { attributes: true, attributeFilter: ['data-state'] }); return true })()`, nil)
	}
	time.Sleep(4 * time.Second) // five times the watch's stall threshold, nothing flowing
	for _, p := range pages {
		var saw bool
		p.Eval(`window.__sawReconnecting || document.getElementById('call').dataset.state !== 'connected'`, &saw)
		if saw {
			p.fail("the page showed reconnecting in a call where everyone is muted with the camera off")
		}
	}
}
