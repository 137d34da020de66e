package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
)

// spyMedia records every stream getUserMedia hands the page, so a test
// can see that the pre-join preview released its camera and microphone.
const spyMedia = `(() => {
	const md = navigator.mediaDevices;
	if (md.__spied) return true;
	md.__spied = true;
	const real = md.getUserMedia.bind(md);
	window.__streams = [];
	md.getUserMedia = async (c) => { const s = await real(c); window.__streams.push(s); return s; };
	return true;
})()`

// liveStreams counts the tracks getUserMedia handed out that still capture.
const liveTracks = `window.__streams.flatMap(s => s.getTracks()).filter(t => t.readyState === 'live').length`

// The pre-join dialog of a group call, at desktop and phone sizes: it
// previews the camera (frames decode) and the microphone (the level moves
// with the fake microphone's beeps), lists the devices, fits a phone, and
// Cancel releases both devices and leaves no call.
func TestPrejoinPreviewsCameraAndMicrophoneAndCancelLeavesNoCall(t *testing.T) {
	env := calltest.Start(t)
	alice := signedIn(t, env, "alice")[0]
	api := env.Login("alice")
	alice.Eval(spyMedia, nil)
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", desktopW, desktopH}, {"phone", phoneW, phoneH}} {
		alice.Viewport(size.w, size.h)
		alice.OpenRoom("general")
		alice.Click("#call-video")
		alice.Wait(5*time.Second, "the pre-join dialog", prejoinOpen+` && document.activeElement.id === 'prejoin-join'`)
		alice.Wait(15*time.Second, "the camera preview shows frames and the microphone level moves", `(() => {
			const p = window.__chattoDebug.prejoin();
			return p.camera === 'on' && p.previewFrames > 10 && p.levelSamples > 20 && p.levelMax - p.levelMin > 0.1;
		})()`)
		alice.Wait(5*time.Second, "both device lists are filled", `['prejoin-mic', 'prejoin-cam'].every(id => {
			const s = document.getElementById(id); return s.options.length >= 2 && s.value !== '' && !s.disabled })`)
		var mirrored string
		alice.Eval(`getComputedStyle(document.getElementById('prejoin-video')).transform`, &mirrored)
		if mirrored != "matrix(-1, 0, 0, 1, 0, 0)" {
			alice.fail("the preview is not mirrored: transform %q", mirrored)
		}
		if size.w == phoneW {
			alice.NoHorizontalOverflow(phoneW)
		}
		alice.Wait(2*time.Second, "Join now and Cancel are on screen", `['prejoin-join', 'prejoin-cancel'].every(id => {
			const r = document.getElementById(id).getBoundingClientRect();
			return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth && r.height >= 40 })`)
		alice.Shot(t, "prejoin-"+size.name)

		alice.Click("#prejoin-cancel")
		alice.Wait(5*time.Second, "Cancel closes the dialog and releases camera and microphone",
			`!`+prejoinOpen+` && window.__streams.length >= 2 && `+liveTracks+` === 0`)
		alice.Wait(2*time.Second, "focus is back on Video call", `document.activeElement.id === 'call-video'`)
		if alice.EvalString(`JSON.stringify(window.__chattoDebug.call())`) != "null" {
			alice.fail("Cancel left a call session: %+v", alice.Call())
		}
		if v := api.Call("general"); v != nil {
			t.Fatalf("Cancel started a call: %+v", v)
		}
	}
}

// The pre-join choices take effect and are remembered: camera off joins
// publishing no camera (its toggle shows off); the chosen microphone and
// camera are the ones the call captures from, now and at the next join;
// "Join as listener" joins as a listener.
func TestPrejoinChoicesTakeEffect(t *testing.T) {
	env := calltest.Start(t)
	pages := signedIn(t, env, "alice", "bob")
	alice, bob := pages[0], pages[1]
	alice.Viewport(desktopW, desktopH)
	alice.Eval(spyMedia, nil)
	alice.OpenRoom("general")
	alice.Click("#call-video")
	alice.Wait(5*time.Second, "the pre-join dialog", prejoinOpen)
	alice.Wait(10*time.Second, "the device lists are filled", `['prejoin-mic', 'prejoin-cam'].every(id => document.getElementById(id).options.length >= 3)`)
	// The last fake camera (fake_device_2) and microphone: not the defaults.
	pick := func(sel string) string {
		return alice.EvalString(fmt.Sprintf(`(() => {
			const s = document.getElementById(%q);
			s.value = s.options[s.options.length - 1].value;
			s.dispatchEvent(new Event('change'));
			return s.options[s.selectedIndex].textContent;
		})()`, sel))
	}
	mic, cam := pick("prejoin-mic"), pick("prejoin-cam")
	alice.Wait(10*time.Second, "the preview shows the chosen camera", fmt.Sprintf(
		`window.__chattoDebug.prejoin().videoDevice === %q && window.__chattoDebug.prejoin().previewFrames > 0`, cam))
	alice.Click("#prejoin-camera-off")
	alice.Wait(5*time.Second, "camera off shows the avatar and stops the preview camera", `window.__chattoDebug.prejoin().camera === 'off'
		&& !window.__chattoDebug.prejoin().previewVideo && window.__streams.filter(s => s.getVideoTracks().length).flatMap(s => s.getTracks()).every(t => t.readyState === 'ended')`)
	alice.Shot(t, "prejoin-camera-off")
	alice.Click("#prejoin-join")
	alice.WaitState("connected", 30*time.Second)
	alice.Wait(10*time.Second, "alice's page has published what it starts with", `window.__chattoDebug.call().startPublished`)
	alice.Wait(10*time.Second, "alice publishes her microphone from the chosen device", fmt.Sprintf(
		`window.__chattoDebug.tiles().find(t => t.local).tracks.some(tr => tr.source === 'microphone' && tr.device === %q)`, mic))
	const noCamera = `!window.__chattoDebug.tiles().find(t => t.local).tracks.some(tr => tr.source === 'camera')`
	alice.Wait(2*time.Second, "alice publishes no camera and her camera toggle shows off",
		noCamera+` && document.getElementById('cam-toggle').dataset.on === 'false'`)
	alice.Wait(2*time.Second, "the preview's tracks are all released", liveTracks+` <= 1`) // the call's own microphone
	bob.OpenRoom("general")
	bob.Wait(10*time.Second, "bob's header offers to join", visible("#join"))
	// Turning the camera on in the call captures from the chosen camera.
	alice.Click("#cam-toggle")
	alice.Wait(10*time.Second, "the camera turned on in the call is the chosen one", fmt.Sprintf(
		`window.__chattoDebug.tiles().find(t => t.local).tracks.some(tr => tr.source === 'camera' && tr.device === %q)`, cam))
	// Bob joins as a listener.
	bob.Click("#join")
	bob.Wait(5*time.Second, "bob's pre-join dialog", prejoinOpen)
	bob.Click("#prejoin-listener")
	bob.Wait(5*time.Second, "as a listener the camera choice is moot", `document.getElementById('prejoin-camera-off').disabled
		&& !window.__chattoDebug.prejoin().previewVideo && !window.__chattoDebug.prejoin().previewAudio
		&& document.getElementById('prejoin-join').textContent === 'Join as listener'`)
	bob.Shot(t, "prejoin-listener")
	bob.Click("#prejoin-join")
	bob.WaitState("connected", 30*time.Second)
	bob.Wait(10*time.Second, "bob is a listener and publishes nothing", `(() => {
		const c = window.__chattoDebug.call();
		return c.role === 'listener' && !c.canPublish && window.__chattoDebug.tiles().find(t => t.local).tracks.length === 0;
	})()`)
	bobID := bob.Call().Identity
	calltest.Eventually(t, 10*time.Second, "the call view lists bob as a listener", func() bool {
		v := env.Login("alice").Call("general")
		if v == nil {
			return false
		}
		for _, p := range v.Participants {
			if p.Identity == bobID {
				return p.Role == "listener"
			}
		}
		return false
	})
	alice.Click("#leave")
	alice.WaitState("ended", 10*time.Second)

	// Alice's next join remembers her choices: camera off, her devices.
	alice.Click("#join")
	alice.Wait(5*time.Second, "alice's pre-join dialog remembers her choices", fmt.Sprintf(`%s
		&& document.getElementById('prejoin-camera-off').checked && !document.getElementById('prejoin-listener').checked
		&& (s => s.options[s.selectedIndex].textContent)(document.getElementById('prejoin-mic')) === %q
		&& (s => s.options[s.selectedIndex].textContent)(document.getElementById('prejoin-cam')) === %q`, prejoinOpen, mic, cam))
	alice.Click("#prejoin-camera-off") // camera on this time
	alice.Click("#prejoin-join")
	alice.WaitState("connected", 30*time.Second)
	alice.Wait(10*time.Second, "alice joins publishing the chosen camera", fmt.Sprintf(
		`window.__chattoDebug.tiles().find(t => t.local).tracks.some(tr => tr.source === 'camera' && tr.device === %q)
		&& document.getElementById('cam-toggle').dataset.on === 'true'`, cam))
	alice.Wait(2*time.Second, "focus is on the microphone toggle after joining", `document.activeElement.id === 'mic-toggle'`)
}
