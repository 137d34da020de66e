package browsertest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chattocalls/chatto/internal/calltest"
)

// A page that prints a key to its console is caught: both a key the test
// knew (AddKey) and one the page was handed by a join answer, which the
// harness reads off the network. The page runs against a stand-in server
// with an Env that has no end-of-test check, so the planted leaks fail
// nothing but the assertions here.
func TestLeakCheckCatchesKeysInTheBrowserConsole(t *testing.T) {
	known := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x11, 0x22}, 16))
	handed := bytes.Repeat([]byte{0xC3, 0x5A}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/rooms/general/call/join":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"call_id":"c1","e2ee_key":%q}`, base64.StdEncoding.EncodeToString(handed))
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><title>blank</title>`)
		}
	}))
	t.Cleanup(srv.Close)
	env := calltest.Attach(t, srv.URL)
	env.AddKey(known)
	p := newBrowser(t, env, "leaky").Page()
	p.do(10*time.Second, "open the stand-in page", chromedp.Navigate(srv.URL+"/"))
	p.Eval(`fetch('/api/rooms/general/call/join', {method: 'POST'}).then(r => r.json()).then(() => true)`, nil)
	p.Eval(fmt.Sprintf(`console.debug('known', %q); console.log('hex of the handed key', %q); true`, known, hex.EncodeToString(handed)), nil)

	want := []string{"key 0 (base64) in leaky's browser console", "key 1 (hex) in leaky's browser console"}
	calltest.Eventually(t, 10*time.Second, "both leaks reported", func() bool {
		got := env.Leaks()
		return slices.Contains(got, want[0]) && slices.Contains(got, want[1])
	})
}
