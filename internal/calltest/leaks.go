package calltest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// No secret may reach anything but its owner: the server's logs, the API's
// answers and error bodies, the event streams and (browsertest) the
// browser console are checked at the end of every test for the API
// secret, the outgoing webhook secrets and every E2EE key handed out in
// the test, raw or encoded. The only place a key may appear is the
// e2ee_key field of the join, token or key answer that hands it to its
// caller.

// observed is text a client was shown, and where.
type observed struct {
	where string
	text  string
}

// Observe records text a client was shown (where names it, e.g. "browser
// console of alice"), to be checked for secrets when the test ends.
func (e *Env) Observe(where, text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, observed{where: where, text: text})
}

// AddKey records an E2EE key (standard base64, as the API hands it out)
// that a client outside this package received, e.g. a browser, so that
// the end of the test checks everything for it too.
func (e *Env) AddKey(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys = append(e.keys, key)
}

// keyAnswer matches the paths whose answers carry the caller's key.
var keyAnswer = regexp.MustCompile(`^/api/rooms/[^/]+/call/(join|token|key)$`)

// observeAnswer records an API answer. A join or token answer's own
// e2ee_key (and a join's e2ee_previous_key) is recorded as a key and
// blanked before the rest of the answer is checked like any other.
func (e *Env) observeAnswer(method, path string, status int, raw []byte) {
	if method == "POST" && status < 300 && keyAnswer.MatchString(path) {
		var res struct {
			E2EEKey         string `json:"e2ee_key"`
			E2EEPreviousKey string `json:"e2ee_previous_key"`
		}
		if json.Unmarshal(raw, &res) == nil {
			for field, k := range map[string]string{"e2ee_key": res.E2EEKey, "e2ee_previous_key": res.E2EEPreviousKey} {
				if k != "" {
					e.AddKey(k)
					raw = bytes.Replace(raw, []byte(`"`+field+`":"`+k+`"`), []byte(`"`+field+`":""`), 1)
				}
			}
		}
	}
	e.Observe(fmt.Sprintf("answer to %s %s (%d)", method, path, status), string(raw))
}

// secretForms are the ways a secret could show up in text.
func (e *Env) secretForms() map[string]string {
	forms := map[string]string{"the API secret": APISecret, "the webhook API secret": e.Config.LiveKit.WebhookAPISecret}
	for i, o := range e.Config.Webhooks.Outgoing {
		forms[fmt.Sprintf("outgoing webhook secret %d", i)] = strings.TrimPrefix(o.Secret, "whsec_")
	}
	for i, k := range e.keys {
		raw, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(raw) == 0 {
			forms[fmt.Sprintf("key %d", i)] = k
			continue
		}
		// Unpadded forms also catch the padded ones they start.
		forms[fmt.Sprintf("key %d (base64)", i)] = base64.RawStdEncoding.EncodeToString(raw)
		forms[fmt.Sprintf("key %d (base64url)", i)] = base64.RawURLEncoding.EncodeToString(raw)
		forms[fmt.Sprintf("key %d (hex)", i)] = hex.EncodeToString(raw)
		forms[fmt.Sprintf("key %d (HEX)", i)] = strings.ToUpper(hex.EncodeToString(raw))
		forms[fmt.Sprintf("key %d (raw)", i)] = string(raw)
	}
	return forms
}

// Leaks lists where a secret was found, naming the secret's kind and the
// place, never the secret.
func (e *Env) Leaks() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	places := append([]observed{{where: "the server's logs", text: e.logs.String()}}, e.seen...)
	var out []string
	for what, secret := range e.secretForms() {
		if secret == "" {
			continue
		}
		for _, p := range places {
			if strings.Contains(p.text, secret) {
				out = append(out, what+" in "+p.where)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkNoSecrets fails the test for every leak found.
func (e *Env) checkNoSecrets() {
	for _, l := range e.Leaks() {
		e.t.Errorf("secret leaked: %s", l)
	}
}
