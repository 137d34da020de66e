package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// hookSecret is a valid signing secret (a 32-byte key) that tests look for
// in errors and logs; hookSecretKey is its base64 part alone.
const (
	hookSecretKey = "c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzISE="
	hookSecret    = "whsec_" + hookSecretKey
	// otherSecret is the Standard Webhooks test secret (24 bytes).
	otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

const twoHooksTOML = `
[webhooks]
max_attempts = 5
retry_base = "500ms"

[[webhooks.outgoing]]
url = "https://push.example.com/chatto"
secret = "` + hookSecret + `"
events = ["call.ringing", "call.missed"]

[[webhooks.outgoing]]
url = "http://127.0.0.1:9000/hooks?token=abc"
secret = "` + otherSecret + `"
`

func TestLoadWebhooks(t *testing.T) {
	tests := []struct {
		name string
		toml string
		env  map[string]string
		want func() Webhooks
	}{{
		name: "defaults: no receivers",
		want: NewWebhooks,
	}, {
		name: "entries and settings from the file",
		toml: twoHooksTOML,
		want: func() Webhooks {
			w := NewWebhooks()
			w.MaxAttempts, w.RetryBase = 5, 500*time.Millisecond
			w.Outgoing = []Outgoing{
				{URL: "https://push.example.com/chatto", Secret: hookSecret, Events: []string{"call.ringing", "call.missed"}},
				{URL: "http://127.0.0.1:9000/hooks?token=abc", Secret: otherSecret},
			}
			return w
		},
	}, {
		name: "environment overrides one key of a file entry and adds the next entry",
		toml: twoHooksTOML,
		env: map[string]string{
			"CHATTO_WEBHOOKS_OUTGOING_1_URL":    "https://other.example.com/hook",
			"CHATTO_WEBHOOKS_OUTGOING_0_EVENTS": "",
			"CHATTO_WEBHOOKS_OUTGOING_2_URL":    "https://third.example.com/",
			"CHATTO_WEBHOOKS_OUTGOING_2_SECRET": otherSecret,
			"CHATTO_WEBHOOKS_OUTGOING_2_EVENTS": " call.ended , call.started,",
			"CHATTO_WEBHOOKS_TIMEOUT":           "3s",
		},
		want: func() Webhooks {
			w := NewWebhooks()
			w.MaxAttempts, w.RetryBase, w.Timeout = 5, 500*time.Millisecond, 3*time.Second
			w.Outgoing = []Outgoing{
				{URL: "https://push.example.com/chatto", Secret: hookSecret},
				{URL: "https://other.example.com/hook", Secret: otherSecret},
				{URL: "https://third.example.com/", Secret: otherSecret, Events: []string{"call.ended", "call.started"}},
			}
			return w
		},
	}, {
		name: "entries from the environment alone",
		env: map[string]string{
			"CHATTO_WEBHOOKS_OUTGOING_0_URL":    "https://push.example.com/a",
			"CHATTO_WEBHOOKS_OUTGOING_0_SECRET": hookSecret,
			"CHATTO_WEBHOOKS_OUTGOING_1_URL":    "https://push.example.com/b",
			"CHATTO_WEBHOOKS_OUTGOING_1_SECRET": otherSecret,
			"CHATTO_WEBHOOKS_OUTGOING_1_EVENTS": "call.missed",
			"CHATTO_WEBHOOKS_MAX_ATTEMPTS":      "2",
			"CHATTO_WEBHOOKS_CONCURRENCY":       "16",
			"CHATTO_WEBHOOKS_RETRY_MAX":         "30s",
		},
		want: func() Webhooks {
			w := NewWebhooks()
			w.MaxAttempts, w.Concurrency, w.RetryMax = 2, 16, 30*time.Second
			w.Outgoing = []Outgoing{
				{URL: "https://push.example.com/a", Secret: hookSecret},
				{URL: "https://push.example.com/b", Secret: otherSecret, Events: []string{"call.missed"}},
			}
			return w
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if tt.toml != "" {
				path = writeFile(t, tt.toml)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if want := tt.want(); !reflect.DeepEqual(c.Webhooks, want) {
				t.Errorf("got  %+v\nwant %+v", c.Webhooks, want)
			}
		})
	}
}

func TestLoadWebhooksErrorsNameTheKeyAndNeverTheSecret(t *testing.T) {
	entry := func(lines ...string) string {
		return "[[webhooks.outgoing]]\n" + strings.Join(lines, "\n") + "\n"
	}
	okURL, okSecret := `url = "https://push.example.com/"`, `secret = "`+hookSecret+`"`
	tests := []struct {
		name string
		toml string
		env  map[string]string
		want []string
	}{
		{"missing url", entry(okSecret), nil, []string{"config: webhooks.outgoing[0].url: required"}},
		{"relative url", entry(`url = "/hooks"`, okSecret), nil, []string{"config: webhooks.outgoing[0].url: ", "not an absolute URL"}},
		{"url without a scheme keeps its secret path out", entry(`url = "hooks.slack.com/services/T0/B0/s3cr3tpath"`, okSecret), nil,
			[]string{"config: webhooks.outgoing[0].url: ", "not an absolute URL"}},
		{"url with another scheme", entry(`url = "ftp://push.example.com/"`, okSecret), nil, []string{"config: webhooks.outgoing[0].url: ", `"ftp"`}},
		{"url error shows only scheme and host", entry(`url = "https://user:hunter2@push.example.com/s3cr3tpath?t=s3cr3tquery#x"`, okSecret), nil,
			[]string{"config: webhooks.outgoing[0].url: ", "fragment", "https://push.example.com"}},
		{"same url twice", entry(okURL, okSecret) + entry(okURL, `secret = "`+otherSecret+`"`), nil,
			[]string{"config: webhooks.outgoing[1].url: same url as webhooks.outgoing[0]"}},
		{"missing secret", entry(okURL), nil, []string{"config: webhooks.outgoing[0].secret: required"}},
		{"secret without the whsec_ prefix", entry(okURL, `secret = "`+hookSecretKey+`"`), nil,
			[]string{"config: webhooks.outgoing[0].secret: ", `"whsec_"`}},
		{"secret that is not base64", entry(okURL, `secret = "whsec_`+hookSecretKey+`!!"`), nil,
			[]string{"config: webhooks.outgoing[0].secret: ", "base64"}},
		{"secret with a short key", entry(okURL, `secret = "whsec_c2hvcnQ="`), nil,
			[]string{"config: webhooks.outgoing[0].secret: the key is 5 bytes"}},
		{"unknown event", entry(okURL, okSecret, `events = ["call.ringing", "call.exploded"]`), nil,
			[]string{"config: webhooks.outgoing[0].events: ", `"call.exploded"`, "call.missed"}},
		{"unknown key in an entry", entry(okURL, okSecret, `name = "phone"`), nil,
			[]string{`config: unknown key "webhooks.outgoing.name"`}},
		{"secret of the wrong type", entry(okURL, "secret = 12345678987654321"), nil,
			[]string{"webhooks.outgoing.secret"}},
		{"secret as a bare word", entry(okURL, "secret = "+hookSecretKey[:20]), nil,
			[]string{"webhooks.outgoing.secret", "not shown"}},
		{"max_attempts zero", "[webhooks]\nmax_attempts = 0\n", nil, []string{"config: webhooks.max_attempts: 0 is outside 1..100"}},
		{"timeout too short", "", map[string]string{"CHATTO_WEBHOOKS_TIMEOUT": "50ms"}, []string{"config: webhooks.timeout: 50ms"}},
		{"concurrency too high", "[webhooks]\nconcurrency = 100\n", nil, []string{"config: webhooks.concurrency: 100"}},
		{"retry_base too short", "[webhooks]\nretry_base = \"1ms\"\n", nil, []string{"config: webhooks.retry_base: 1ms"}},
		{"retry_max below retry_base", "[webhooks]\nretry_base = \"2s\"\nretry_max = \"1s\"\n", nil, []string{"config: webhooks.retry_max: 1s"}},
		{"bad duration in the environment", "", map[string]string{"CHATTO_WEBHOOKS_RETRY_MAX": "forever"},
			[]string{"environment variable CHATTO_WEBHOOKS_RETRY_MAX"}},
		{"entry variable with an unknown key", "", map[string]string{"CHATTO_WEBHOOKS_OUTGOING_0_NAME": "phone"},
			[]string{"config: unknown environment variable CHATTO_WEBHOOKS_OUTGOING_0_NAME"}},
		{"entry variable with a leading zero", "", map[string]string{"CHATTO_WEBHOOKS_OUTGOING_01_URL": "https://a.example/"},
			[]string{"config: unknown environment variable CHATTO_WEBHOOKS_OUTGOING_01_URL"}},
		{"entry variable without an index", "", map[string]string{"CHATTO_WEBHOOKS_OUTGOING_URL": "https://a.example/"},
			[]string{"config: unknown environment variable CHATTO_WEBHOOKS_OUTGOING_URL"}},
		{"entry variable leaving a gap", entry(okURL, okSecret), map[string]string{
			"CHATTO_WEBHOOKS_OUTGOING_2_SECRET": hookSecret, "CHATTO_WEBHOOKS_OUTGOING_2_URL": "https://b.example/",
		}, []string{"config: environment variable CHATTO_WEBHOOKS_OUTGOING_2_SECRET: there is no webhooks.outgoing[1]"}},
		{"entry from the environment validated under its key", entry(okURL, okSecret), map[string]string{
			"CHATTO_WEBHOOKS_OUTGOING_1_URL": "https://b.example/", "CHATTO_WEBHOOKS_OUTGOING_1_SECRET": "whsec_c2hvcnQ=",
		}, []string{"config: webhooks.outgoing[1].secret: "}},
		{"secret in the environment, error elsewhere", "", map[string]string{
			"CHATTO_WEBHOOKS_OUTGOING_0_SECRET": hookSecret, "CHATTO_WEBHOOKS_OUTGOING_0_URL": "mailto:x@example.com",
		}, []string{"config: webhooks.outgoing[0].url: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadFailure(t, tt.env, tt.toml)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, s := range []string{hookSecretKey, hookSecretKey[:20], "12345678987654321", "hunter2", "s3cr3t"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
}

func TestWebhookSecretsAreRedactedInLogsAndPrints(t *testing.T) {
	clearEnv(t)
	c, err := Load(writeFile(t, twoHooksTOML+"\n[[webhooks.outgoing]]\nurl = \"https://u:hunter2@push.example.com/\"\nsecret = \""+otherSecret+"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	// A receiver may authenticate by its URL's user, path or query: only
	// scheme and host are shown.
	secrets := []string{hookSecretKey, strings.TrimPrefix(otherSecret, "whsec_"), "hunter2", "token=abc", "push.example.com/chatto"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting", "config", c)
	printed := fmt.Sprintf("%v %+v", c, c.Webhooks.Outgoing)
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) || strings.Contains(printed, s) {
			t.Fatalf("a secret shows in the log or print:\n%s\n%s", buf.String(), printed)
		}
	}

	buf.Reset()
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config struct {
			Webhooks struct {
				MaxAttempts int                          `json:"max_attempts"`
				Timeout     string                       `json:"timeout"`
				Concurrency int                          `json:"concurrency"`
				RetryBase   string                       `json:"retry_base"`
				RetryMax    string                       `json:"retry_max"`
				Outgoing    map[string]map[string]string `json:"outgoing"`
			} `json:"webhooks"`
		} `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	w := line.Config.Webhooks
	if w.MaxAttempts != 5 || w.Timeout != "10s" || w.Concurrency != 4 || w.RetryBase != "500ms" || w.RetryMax != "10m0s" {
		t.Errorf("logged settings = %+v", w)
	}
	want := map[string]map[string]string{
		"0": {"url": "https://push.example.com", "secret": "[redacted]", "events": "call.ringing,call.missed"},
		"1": {"url": "http://127.0.0.1:9000", "secret": "[redacted]", "events": ""},
		"2": {"url": "https://push.example.com", "secret": "[redacted]", "events": ""},
	}
	if !reflect.DeepEqual(w.Outgoing, want) {
		t.Errorf("logged entries = %v\nwant %v", w.Outgoing, want)
	}
}

// The example file shows a receiver commented out (so the dev setup posts
// nowhere); uncommented, it must load as it stands.
func TestExampleFileOutgoingEntryLoadsWhenUncommented(t *testing.T) {
	clearEnv(t)
	raw, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "# [[webhooks.outgoing]]" {
			in = true
		}
		if in && strings.HasPrefix(line, "# ") {
			line = strings.TrimPrefix(line, "# ")
		}
		out = append(out, line)
	}
	if !in {
		t.Fatalf("%s has no commented [[webhooks.outgoing]] example", exampleFile)
	}
	c, err := Load(writeFile(t, strings.Join(out, "\n")))
	if err != nil {
		t.Fatalf("the uncommented example does not load: %v", err)
	}
	if len(c.Webhooks.Outgoing) != 1 || c.Webhooks.Outgoing[0].URL == "" || len(c.Webhooks.Outgoing[0].Events) == 0 {
		t.Fatalf("uncommented example = %+v", c.Webhooks.Outgoing)
	}
}
