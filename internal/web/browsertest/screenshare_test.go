package browsertest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
)

// screenOf is a JS expression for what a page shows of a user's shared
// screen (undefined while none).
func screenOf(user string) string {
	return fmt.Sprintf(`window.__chattoDebug.screens().find(s => s.identity.startsWith(%q))`, user+"#")
}

// Alice shares her screen (Chromium's fake capture answers getDisplayMedia
// with an 800×600 "monitor" and a tab audio track, no picker): Bob's page
// receives the screen track, LiveKit reports it encrypted by the
// publisher, its frames decode (they would not with a wrong key), and it
// takes the large tile of a spotlight layout; when Alice stops, the grid
// comes back.
func TestSharedScreenIsEncryptedAndTakesTheSpotlight(t *testing.T) {
	env := calltest.Start(t)
	mark := marker(t)
	pages := inGeneral(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	bob.Wait(30*time.Second, "alice's camera and microphone arrive", fmt.Sprintf(`(() => {
		const t = window.__chattoDebug.tiles().find(t => t.identity.startsWith('alice#'));
		return !!t && t.tracks.length === 2 && t.tracks.every(tr => tr.subscribed);
	})()`))
	mark("both in the call")

	alice.Wait(5*time.Second, "a Share screen button", visible("#screen-toggle")+` && document.getElementById('screen-toggle').textContent === 'Share screen'`)
	alice.Click("#screen-toggle")
	alice.Wait(15*time.Second, "alice's page shares and shows her own screen",
		`window.__chattoDebug.call().screenSharing && document.getElementById('screen-toggle').textContent === 'Stop sharing' && !!`+screenOf("alice"))
	mark("alice shares")

	bob.Wait(20*time.Second, "alice's screen arrives on bob's page, encrypted", fmt.Sprintf(`(() => {
		const s = %s;
		return !!s && s.subscribed && s.encrypted && s.videoWidth > 0;
	})()`, screenOf("alice")))
	var frames int
	bob.Eval(`(`+screenOf("alice")+`).videoFrames`, &frames)
	bob.Wait(15*time.Second, "alice's screen keeps decoding", fmt.Sprintf(`(%s).videoFrames >= %d`, screenOf("alice"), frames+10))
	bob.Wait(5*time.Second, "the screen has the large tile of a spotlight layout",
		`document.getElementById('tiles').dataset.layout === 'spotlight' && (`+screenOf("alice")+`).largest`+
			` && document.querySelector('#tiles > .screen') === document.getElementById('tiles').firstElementChild`)
	// The screen is one more publication of alice's, encrypted like the rest.
	bob.Wait(10*time.Second, "every track of alice's is encrypted, the screen's too", `(() => {
		const t = window.__chattoDebug.tiles().find(t => t.identity.startsWith('alice#'));
		return !!t && t.tracks.some(tr => tr.source === 'screen_share' && tr.subscribed) && t.tracks.every(tr => tr.encrypted);
	})()`)
	var audio struct{ Audio, AudioEncrypted bool }
	bob.Eval(`(() => { const s = `+screenOf("alice")+`; return {Audio: s.audio, AudioEncrypted: s.audioEncrypted} })()`, &audio)
	t.Logf("screen-share audio offered by the browser: %v (encrypted: %v)", audio.Audio, audio.AudioEncrypted)
	if audio.Audio && !audio.AudioEncrypted {
		bob.fail("alice's screen-share audio is not encrypted")
	}
	if c := bob.Call(); c.EncryptionErrors != 0 {
		bob.fail("encryption errors on bob's page: %+v", c)
	}
	mark("bob decodes the encrypted screen in the spotlight")
	bob.Screenshot(filepath.Join(t.ArtifactDir(), "screen-share.png"))
	bob.Viewport(phoneW, phoneH)
	bob.Wait(5*time.Second, "the spotlight on a phone", visible("#tiles > .screen")+` && document.scrollingElement.scrollHeight <= innerHeight`)
	bob.Shot(t, "screen-share-phone")
	bob.Viewport(desktopW, desktopH)

	alice.Click("#screen-toggle")
	bob.Wait(15*time.Second, "the grid comes back when alice stops sharing",
		`window.__chattoDebug.screens().length === 0 && document.getElementById('tiles').dataset.layout === 'grid'`)
	alice.Wait(5*time.Second, "alice's button offers to share again", `document.getElementById('screen-toggle').textContent === 'Share screen'`)
}
