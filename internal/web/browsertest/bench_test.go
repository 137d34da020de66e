package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/livekit/protocol/auth"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/livekit"
)

// measureJoin makes the page time its next click until Alice's video has
// a decoded frame in a tile; await window.__joinMs for the milliseconds.
const measureJoin = `(() => {
	window.__joinMs = new Promise((resolve) => {
		document.addEventListener('click', () => {
			const t0 = performance.now();
			const poll = () => {
				const v = document.querySelector('#tiles .tile[data-user="alice"] video');
				if (v && v.getVideoPlaybackQuality().totalVideoFrames > 0) resolve(performance.now() - t0);
				else setTimeout(poll, 2);
			};
			poll();
		}, { capture: true, once: true });
	});
	return true;
})()`

// joinRest is how long both benchmarks wait after a leave before the
// next join. Joins back to back are slower for a reason neither page
// controls: a plain page rejoining at once waited about 1.1 s for its
// first frame, and 0.1–0.2 s after a 2.5 s rest (most likely LiveKit's
// keyframe-request throttle, pli_throttle, 1 s by default for the top
// layer, delaying the keyframe the new subscription needs).
const joinRest = 2 * time.Second

// BenchmarkBrowserJoin is what a user waits for: Bob clicks Join in the
// room header and the product asks Chatto for a grant, connects to
// LiveKit with E2EE and subscribes, until Alice's video shows its first
// decoded frame. BenchmarkBrowserJoinFloor is a plain livekit-client page
// handed a token (one identity for every join, as a device rejoining)
// and the key, connecting to the same LiveKit room with E2EE on and
// publishing its microphone and camera, as the product's page does in a
// video call. Both rest joinRest between joins, and both report
// first-frames/s (1000 ÷ the mean milliseconds) and the p50 and p99
// milliseconds; b.N is the number of joins.
func BenchmarkBrowserJoin(b *testing.B) {
	env, alice, _ := aliceInACall(b)
	bob := newBrowser(b, env, "bob").Page()
	bob.SignIn("bob")
	bob.OpenRoom("general")
	join := bob.joinButton()
	var ms []float64
	for b.Loop() {
		// The clock starts at Join now in the pre-join dialog: what the
		// product does from there is what this measures.
		bob.Click(join)
		bob.Wait(5*time.Second, "the pre-join dialog", prejoinOpen)
		bob.Eval(measureJoin, nil)
		bob.Click("#prejoin-join")
		var d float64
		bob.Eval(`window.__joinMs`, &d)
		ms = append(ms, d)
		bob.Click("#leave")
		bob.WaitState("ended", 10*time.Second)
		left := time.Now()
		bob.Wait(10*time.Second, "the join button is back", visible(join))
		// Bob's leave rotated the call's key; Alice encrypts with the new
		// one a second later (KEY_SWITCH_DELAY_MS). A join inside that
		// second waits for her switch, so the next one comes after it, and
		// after the same rest the floor takes.
		alice.Wait(10*time.Second, "alice encrypts with the call's current key",
			`window.__chattoDebug.call().keyIndex === window.__chattoDebug.calls().general.key_index`)
		time.Sleep(time.Until(left.Add(joinRest)))
	}
	reportJoins(b, ms)
}

func BenchmarkBrowserJoinFloor(b *testing.B) {
	env, _, key := aliceInACall(b)
	files := http.NewServeMux()
	files.Handle("/", http.FileServer(http.Dir("testdata/floor")))
	// The same E2EE worker the product serves.
	files.HandleFunc("/livekit-client.e2ee.worker.mjs", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "../static/livekit-client.e2ee.worker.mjs")
	})
	floor := httptest.NewServer(files)
	b.Cleanup(floor.Close)
	v := env.Service().View("general")
	lkRoom := livekit.RoomName(env.Service().ServerID(), "general", v.ID)
	page := newBrowser(b, env, "floor").Page()
	page.do(20*time.Second, "open the floor page", chromedp.Navigate(floor.URL+"/floor.html"))
	page.Wait(10*time.Second, "the floor page loaded", `typeof window.floorJoin === 'function'`)
	var ms []float64
	for b.Loop() {
		// One identity, like the product's device rejoining.
		tok, err := auth.NewAccessToken(calltest.APIKey, calltest.APISecret).
			SetIdentity("floor").SetValidFor(10 * time.Minute).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: lkRoom}).ToJWT()
		if err != nil {
			b.Fatal(err)
		}
		var d float64
		page.Eval(fmt.Sprintf(`floorJoin(%q, %q, %q)`, env.Config.LiveKit.URL, tok, key), &d)
		ms = append(ms, d)
		page.Eval(`floorLeave().then(() => true)`, nil)
		time.Sleep(joinRest)
	}
	reportJoins(b, ms)
}

// aliceInACall starts the product with Alice's page in general's video
// call, and returns her page and the call's key as her device can fetch it.
func aliceInACall(b *testing.B) (*calltest.Env, *Page, string) {
	env := calltest.Start(b)
	alice := newBrowser(b, env, "alice").Page()
	alice.SignIn("alice")
	alice.OpenRoom("general")
	alice.Join()
	alice.Wait(20*time.Second, "alice's camera is live", `window.__chattoDebug.tiles().some(t => t.local && t.videoFrames > 0)`)
	var k chatto.KeyResult
	if st := env.Login("alice").Do("POST", "/api/rooms/general/call/key", map[string]string{"device_id": deviceOf(alice)}, &k); st != 200 {
		b.Fatalf("alice's key: %d", st)
	}
	return env, alice, k.E2EEKey
}

func reportJoins(b *testing.B, ms []float64) {
	b.Helper()
	if len(ms) == 0 {
		return
	}
	b.Logf("each join, ms: %.0f", ms)
	sum := 0.0
	for _, d := range ms {
		sum += d
	}
	slices.Sort(ms)
	q := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))+0.999999)-1)] }
	b.ReportMetric(1000/(sum/float64(len(ms))), "first-frames/s")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
