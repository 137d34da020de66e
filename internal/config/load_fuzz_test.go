package config

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// secretMark starts every API secret the fuzz target plants. An error that
// quotes even the start of the secret (a TOML syntax error quotes the
// token it stopped at) shows it.
const secretMark = "SeCrEt"

// secretSlot is where the fuzz input puts an API secret: in the TOML text
// right after "api_secret =" or "webhook_api_secret =" (with or without a
// quote), or as the value of CHATTO_LIVEKIT_API_SECRET or
// CHATTO_LIVEKIT_WEBHOOK_API_SECRET. Elsewhere it stays literal text.
const secretSlot = "@SECRET@"

var tomlSecretSlot = regexp.MustCompile(`(api_secret\s*=\s*(?:"""|'''|"|')?)` + regexp.QuoteMeta(secretSlot))

// namesSomething matches what an error of Load must name: a TOML key
// (known, or the unknown one it complains about), an environment variable,
// or, for TOML syntax errors that come before any key, the line.
var namesSomething = regexp.MustCompile(`(webserver|database|livekit|webhooks)(\.[a-z_]+|\.outgoing\[\d+\]\.[a-z]+)|unknown keys? "|CHATTO_[A-Z0-9_]+|line \d+`)

// FuzzLoad feeds Load arbitrary TOML text and CHATTO_* variables. Load must
// not panic; an error names a key, a variable or the line at fault and
// never holds the API secret; a config it returns passes validation.
//
// env is one NAME=value per line; a NAME of #n picks the n-th variable
// Load knows (so the fuzzer reaches real settings without guessing names).
func FuzzLoad(f *testing.F) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "CHATTO_") {
			f.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	known := knownEnv(f)
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ toml, env, secret string }{
		{"", "", ""},
		{string(example), "", ""},
		{enabledTOML, "", ""},
		{"[livekit]\nenabled = true\nurl = \"ws://h:1\"\napi_key = \"k\"\napi_secret = \"@SECRET@\"\n", "", "0123456789abcdefghijklmnopqrstuvwxyz"},
		{"[livekit]\napi_secret = @SECRET@\n", "", "not a toml value"},
		{"[livekit]\napi_secret = '@SECRET@\n", "", "unterminated"},
		{"[livekit]\napi_secret = \"@SECRET@\"\n", "", "bad \\q escape"},
		{"[livekit]\napi_secret = \"@SECRET@\"\nenabled = 1\n", "", "x"},
		{"", "CHATTO_LIVEKIT_ENABLED=true\nCHATTO_LIVEKIT_URL=ws://h:1\nCHATTO_LIVEKIT_API_KEY=k\nCHATTO_LIVEKIT_API_SECRET=@SECRET@", "0123456789abcdefghijklmnopqrstuvwxyz"},
		{"", "CHATTO_LIVEKIT_API_SECRET=@SECRET@\nCHATTO_LIVEKIT_MAX_PARTICIPANTS=many", "short"},
		{"", "#3=garbage\n#7=1h\n#11=-5", ""},
		{"[[webhooks.outgoing]]\nurl = \"http://h/x\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n", "CHATTO_WEBHOOKS_OUTGOING_1_URL=http://h/y\nCHATTO_WEBHOOKS_OUTGOING_3_SECRET=x", ""},
		{"[webserver]\nurl = \"http://h/?q\"\nlisten = \":99999\"\n[nope]\nx = 1\n", "CHATTO_NOPE=1", ""},
		{"= 1\n", "", ""},
		{"a.b.c = [1, {x = 2}]\n[database]\npath = \"\"\n", "", ""},
	} {
		f.Add(seed.toml, seed.env, seed.secret)
	}
	f.Fuzz(func(t *testing.T, text, env, secretPart string) {
		secret := secretMark + secretPart
		// rest is the input without the planted secret: the secret check
		// only means something when the secret is nowhere else in it (a
		// URL holding the same text may rightly be quoted).
		rest := tomlSecretSlot.ReplaceAllString(text, "${1}")
		planted := rest != text
		text = tomlSecretSlot.ReplaceAllString(text, "${1}"+strings.ReplaceAll(secret, "$", "$$"))
		for _, line := range strings.Split(env, "\n") {
			name, value, ok := strings.Cut(line, "=")
			if n, err := strconv.Atoi(strings.TrimPrefix(name, "#")); err == nil && strings.HasPrefix(name, "#") {
				name = known[((n%len(known))+len(known))%len(known)]
			}
			if !ok || name == "" || strings.ContainsAny(name, "=\x00") || strings.Contains(value, "\x00") {
				continue
			}
			if (name == secretEnv || name == "CHATTO_LIVEKIT_WEBHOOK_API_SECRET") && value == secretSlot {
				value, planted = secret, true
			} else {
				rest += "\n" + name + "=" + value
			}
			t.Setenv(name, value)
		}
		checkSecret := planted && !strings.Contains(rest, secretMark)

		path := "fuzz.toml"
		if text == "" {
			path = ""
		}
		c, err := load(path, []byte(text))
		if err != nil {
			msg := err.Error()
			if !namesSomething.MatchString(msg) {
				t.Errorf("error names no key, variable or line: %q", msg)
			}
			if checkSecret && strings.Contains(msg, secretMark) {
				t.Errorf("error shows the API secret: %q", msg)
			}
			return
		}
		if err := c.validate(); err != nil {
			t.Errorf("Load returned a config that fails validation: %v", err)
		}
		if err := c.LiveKit.Validate(); err != nil {
			t.Errorf("Load returned a [livekit] section that fails validation: %v", err)
		}
	})
}

// knownEnv lists the variables Load reads: every key's, and those of the
// first outgoing webhook entries.
func knownEnv(f *testing.F) []string {
	var names []string
	for _, l := range leaves(f) {
		names = append(names, l.env)
	}
	for i := range 3 {
		for _, k := range []string{"URL", "SECRET", "EVENTS"} {
			names = append(names, "CHATTO_WEBHOOKS_OUTGOING_"+strconv.Itoa(i)+"_"+k)
		}
	}
	if len(names) < 20 {
		f.Fatalf("only %d known variables", len(names))
	}
	return names
}
