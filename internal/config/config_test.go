package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

const (
	secret = "TopSecretValue-0123456789abcdefghijklmnop"
	// exampleFile is config.example.toml, seen from this package's directory.
	exampleFile = "../../config.example.toml"
)

// clearEnv unsets every CHATTO_* variable for the rest of the test so that
// the environment the tests run in cannot change their outcome.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CHATTO_") {
			t.Setenv(name, "") // restores the old value after the test
			os.Unsetenv(name)
		}
	}
}

// loadFailure loads the given TOML (none if empty) under exactly the given
// CHATTO_* variables and returns the error Load must fail with.
func loadFailure(t *testing.T, env map[string]string, toml string) error {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	path := ""
	if toml != "" {
		path = writeFile(t, toml)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	return err
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chatto.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// leaf is one TOML key, found by walking Config's toml tags, so tests that
// range over leaves cover fields added later without being edited.
type leaf struct {
	section string // "livekit"
	key     string // "livekit.api_key"
	name    string // "api_key"
	env     string // "CHATTO_LIVEKIT_API_KEY"
	index   []int
}

func (l leaf) value(c Config) reflect.Value {
	return reflect.ValueOf(c).FieldByIndex(l.index)
}

func leaves(t testing.TB) []leaf {
	t.Helper()
	var out []leaf
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		sf := ct.Field(i)
		section := sf.Tag.Get("toml")
		if section == "" || sf.Type.Kind() != reflect.Struct {
			t.Fatalf("Config.%s: want a struct field with a toml tag", sf.Name)
		}
		for j := range sf.Type.NumField() {
			lf := sf.Type.Field(j)
			name := lf.Tag.Get("toml")
			if lf.Type.Kind() == reflect.Slice && lf.Type.Elem().Kind() == reflect.Struct {
				continue // an array of tables ([[webhooks.outgoing]]), tested on its own
			}
			if name == "" || lf.Type.Kind() == reflect.Struct {
				t.Fatalf("%s.%s: want a non-struct field with a toml tag", sf.Type, lf.Name)
			}
			out = append(out, leaf{
				section: section,
				key:     section + "." + name,
				name:    name,
				env:     "CHATTO_" + strings.ToUpper(section) + "_" + strings.ToUpper(name),
				index:   []int{i, j},
			})
		}
	}
	return out
}

// nonDefault holds, for every key, a valid value that differs from its
// default, written the way asEnv prints the field so it can be compared
// back.
var nonDefault = map[string]string{
	"webserver.url":                  "https://chat.example.com",
	"webserver.listen":               "0.0.0.0:9999",
	"webserver.session_idle":         "2h0m0s",
	"webserver.session_max":          "168h0m0s",
	"webserver.max_streams_per_user": "4",
	"webserver.max_streams":          "100",
	"webserver.metrics_token":        "scrape-token-0123456789",
	"webserver.metrics_allow":        "10.0.0.0/8,2001:db8::/32",
	"webserver.trusted_proxies":      "127.0.0.1/32",
	"database.path":                  "/srv/chatto/chatto.db",
	"livekit.enabled":                "true",
	"livekit.url":                    "wss://lk.example.com",
	"livekit.internal_url":           "https://lk-internal.example.com",
	"livekit.api_key":                "envkey",
	"livekit.api_secret":             secret,
	"livekit.webhook_url":            "https://chat.example.com/hooks/lk",
	"livekit.token_ttl":              "15m0s",
	"livekit.reconcile_interval":     "45s",
	"livekit.join_grace":             "1m0s",
	"livekit.max_participants":       "16",
	"livekit.empty_timeout":          "2m0s",
	"livekit.departure_timeout":      "25s",
	"livekit.webhook_max_bytes":      "2048",
	"livekit.default_type":           "audio",
	"livekit.ring_timeout":           "30s",
	"livekit.default_role":           "listener",
	"livekit.remove_cooldown":        "2m0s",
	"livekit.force_relay":            "true",
	"livekit.join_burst":             "5",
	"livekit.join_interval":          "10s",
	"livekit.max_pending_devices":    "3",
	"livekit.server_id":              "chat-eu-1",
	"livekit.webhook_api_key":        "hookkey",
	"livekit.webhook_api_secret":     secret + "-hook",
	"webhooks.max_attempts":          "3",
	"webhooks.timeout":               "5s",
	"webhooks.concurrency":           "2",
	"webhooks.retry_base":            "2s",
	"webhooks.retry_max":             "1m0s",
}

// asEnv prints a setting the way its environment variable spells it:
// lists comma-separated, everything else as fmt prints it.
func asEnv(v reflect.Value) string {
	if v.Kind() != reflect.Slice {
		return fmt.Sprint(v.Interface())
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, ",")
}

// enabledTOML is a minimal valid [livekit] section with calls on.
const enabledTOML = `
[livekit]
enabled = true
url = "ws://127.0.0.1:7880"
api_key = "devkey"
api_secret = "` + secret + `"
`

func TestLoad(t *testing.T) {
	defaults := New()
	defaults.LiveKit.WebhookURL = "http://127.0.0.1:8080/webhooks/livekit"

	tests := []struct {
		name   string
		toml   string // written to a file unless empty
		noFile bool
		env    map[string]string
		check  func(t *testing.T, c Config)
	}{{
		name:   "no file and no environment gives the defaults",
		noFile: true,
		check: func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, defaults) {
				t.Errorf("got  %+v\nwant %+v", c, defaults)
			}
		},
	}, {
		name: "empty file gives the defaults",
		toml: "# nothing\n",
		check: func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, defaults) {
				t.Errorf("got  %+v\nwant %+v", c, defaults)
			}
		},
	}, {
		name: "file overrides defaults and leaves other keys alone",
		toml: `
[webserver]
url = "https://chat.example.com/"
listen = ":9000"
[database]
path = "/var/lib/chatto/chatto.db"
[livekit]
enabled = true
url = "wss://lk.example.com"
api_key = "prodkey"
api_secret = "` + secret + `"
token_ttl = "5m"
max_participants = 20
`,
		check: func(t *testing.T, c Config) {
			want := New()
			want.Webserver.URL, want.Webserver.Listen = "https://chat.example.com", ":9000"
			want.Database.Path = "/var/lib/chatto/chatto.db"
			want.LiveKit.Enabled = true
			want.LiveKit.URL = "wss://lk.example.com"
			want.LiveKit.InternalURL = "https://lk.example.com"
			want.LiveKit.APIKey = "prodkey"
			want.LiveKit.APISecret = secret
			want.LiveKit.WebhookURL = "https://chat.example.com/webhooks/livekit"
			want.LiveKit.TokenTTL = 5 * time.Minute
			want.LiveKit.MaxParticipants = 20
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		},
	}, {
		name: "environment overrides file",
		toml: enabledTOML + `token_ttl = "5m"
[webserver]
listen = ":9000"
`,
		env: map[string]string{
			"CHATTO_WEBSERVER_LISTEN":  ":9100",
			"CHATTO_LIVEKIT_TOKEN_TTL": "15m",
			"CHATTO_LIVEKIT_API_KEY":   "envkey",
		},
		check: func(t *testing.T, c Config) {
			if c.Webserver.Listen != ":9100" || c.LiveKit.TokenTTL != 15*time.Minute || c.LiveKit.APIKey != "envkey" {
				t.Errorf("listen %q, token_ttl %s, api_key %q: environment did not win",
					c.Webserver.Listen, c.LiveKit.TokenTTL, c.LiveKit.APIKey)
			}
			if c.LiveKit.URL != "ws://127.0.0.1:7880" {
				t.Errorf("livekit.url = %q, want the file's value", c.LiveKit.URL)
			}
		},
	}, {
		name: "webhook_url defaults to webserver.url from the environment",
		toml: enabledTOML,
		env:  map[string]string{"CHATTO_WEBSERVER_URL": "https://chat.example.com/base/"},
		check: func(t *testing.T, c Config) {
			if c.Webserver.URL != "https://chat.example.com/base" {
				t.Errorf("webserver.url = %q, want trailing slash trimmed", c.Webserver.URL)
			}
			if want := "https://chat.example.com/base/webhooks/livekit"; c.LiveKit.WebhookURL != want {
				t.Errorf("livekit.webhook_url = %q, want %q", c.LiveKit.WebhookURL, want)
			}
		},
	}, {
		name: "explicit webhook_url is kept",
		toml: enabledTOML + `webhook_url = "https://hooks.example.com/lk"` + "\n",
		check: func(t *testing.T, c Config) {
			if want := "https://hooks.example.com/lk"; c.LiveKit.WebhookURL != want {
				t.Errorf("livekit.webhook_url = %q, want %q", c.LiveKit.WebhookURL, want)
			}
		},
	}, {
		name: "internal_url defaults to url with an http scheme",
		toml: enabledTOML,
		check: func(t *testing.T, c Config) {
			if want := "http://127.0.0.1:7880"; c.LiveKit.InternalURL != want {
				t.Errorf("livekit.internal_url = %q, want %q", c.LiveKit.InternalURL, want)
			}
		},
	}, {
		name: "calls are disabled when the livekit section is absent",
		toml: "[webserver]\nlisten = \":9000\"\n",
		check: func(t *testing.T, c Config) {
			if c.LiveKit.Enabled {
				t.Error("livekit.enabled = true, want false")
			}
		},
	}, {
		name: "no proxy is trusted and only this machine reads the metrics by default",
		toml: "# nothing\n",
		check: func(t *testing.T, c Config) {
			if len(c.Webserver.TrustedProxies) != 0 {
				t.Errorf("webserver.trusted_proxies = %q, want none", c.Webserver.TrustedProxies)
			}
			if want := []string{"127.0.0.0/8", "::1/128"}; !reflect.DeepEqual(c.Webserver.MetricsAllow, want) {
				t.Errorf("webserver.metrics_allow = %q, want %q", c.Webserver.MetricsAllow, want)
			}
		},
	}, {
		name: "address lists from the file replace the defaults",
		toml: "[webserver]\ntrusted_proxies = [\"127.0.0.1/32\", \"::1/128\"]\nmetrics_allow = [\"10.0.0.0/8\"]\n",
		check: func(t *testing.T, c Config) {
			if want := []string{"127.0.0.1/32", "::1/128"}; !reflect.DeepEqual(c.Webserver.TrustedProxies, want) {
				t.Errorf("webserver.trusted_proxies = %q, want %q", c.Webserver.TrustedProxies, want)
			}
			if want := []string{"10.0.0.0/8"}; !reflect.DeepEqual(c.Webserver.MetricsAllow, want) {
				t.Errorf("webserver.metrics_allow = %q, want %q", c.Webserver.MetricsAllow, want)
			}
		},
	}, {
		name: "address lists from the environment are comma-separated, and empty means none",
		toml: "[webserver]\ntrusted_proxies = [\"192.0.2.1/32\"]\n",
		env: map[string]string{
			"CHATTO_WEBSERVER_TRUSTED_PROXIES": "127.0.0.1/32, 10.0.0.0/8",
			"CHATTO_WEBSERVER_METRICS_ALLOW":   "",
		},
		check: func(t *testing.T, c Config) {
			if want := []string{"127.0.0.1/32", "10.0.0.0/8"}; !reflect.DeepEqual(c.Webserver.TrustedProxies, want) {
				t.Errorf("webserver.trusted_proxies = %q, want %q", c.Webserver.TrustedProxies, want)
			}
			if len(c.Webserver.MetricsAllow) != 0 {
				t.Errorf("webserver.metrics_allow = %q, want none", c.Webserver.MetricsAllow)
			}
		},
	}, {
		name: "enabled=false with empty keys is valid",
		toml: "[livekit]\nenabled = false\nurl = \"\"\napi_key = \"\"\napi_secret = \"\"\n",
		check: func(t *testing.T, c Config) {
			if c.LiveKit.Enabled {
				t.Error("livekit.enabled = true, want false")
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if !tt.noFile {
				path = writeFile(t, tt.toml)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		toml string
		env  map[string]string
		want []string // substrings of the error
	}{{
		name: "unknown key",
		toml: "[livekit]\napi_sekret = \"x\"\n",
		want: []string{`config: unknown key "livekit.api_sekret"`},
	}, {
		name: "unknown tables are reported once each",
		toml: "[livekit.extra]\nfoo = 1\n[nope]\nbar = 2\n",
		want: []string{`config: unknown keys "livekit.extra", "nope"`},
	}, {
		name: "bad duration in file",
		toml: "[livekit]\ntoken_ttl = \"ten minutes\"\n",
		want: []string{"livekit.token_ttl", "line 2", "invalid duration"},
	}, {
		name: "duration as a bare integer is nanoseconds and rejected",
		toml: enabledTOML + "token_ttl = 600\n",
		want: []string{"livekit.token_ttl", "600ns"},
	}, {
		name: "wrong type in file",
		toml: "[livekit]\nenabled = \"yes\"\n",
		want: []string{"livekit.enabled", "incompatible types"},
	}, {
		name: "section given as a value",
		toml: "database = \"x.db\"\n",
		want: []string{`"database"`},
	}, {
		name: "syntax error",
		toml: "[webserver]\nlisten = \":80\" junk\n",
		want: []string{"chatto.toml: line 2"},
	}, {
		name: "session idle limit too short",
		toml: "[webserver]\nsession_idle = \"10s\"\n",
		want: []string{"webserver.session_idle", "10s"},
	}, {
		name: "session lifetime shorter than the idle limit",
		env:  map[string]string{"CHATTO_WEBSERVER_SESSION_IDLE": "48h", "CHATTO_WEBSERVER_SESSION_MAX": "24h"},
		want: []string{"webserver.session_max", "24h0m0s"},
	}, {
		name: "bad duration in environment",
		env:  map[string]string{"CHATTO_LIVEKIT_TOKEN_TTL": "soon"},
		want: []string{"environment variable CHATTO_LIVEKIT_TOKEN_TTL", `"soon"`, "time.Duration"},
	}, {
		name: "bad integer in environment",
		env:  map[string]string{"CHATTO_LIVEKIT_MAX_PARTICIPANTS": "many"},
		want: []string{"environment variable CHATTO_LIVEKIT_MAX_PARTICIPANTS", `"many"`},
	}, {
		name: "bad bool in environment",
		env:  map[string]string{"CHATTO_LIVEKIT_ENABLED": "yes please"},
		want: []string{"environment variable CHATTO_LIVEKIT_ENABLED"},
	}, {
		name: "webserver url without scheme",
		toml: "[webserver]\nurl = \"chat.example.com\"\n",
		want: []string{"config: webserver.url: "},
	}, {
		name: "webserver url with a non-http scheme",
		toml: "[webserver]\nurl = \"ftp://chat.example.com\"\n",
		want: []string{"config: webserver.url: ", `"ftp"`},
	}, {
		name: "webserver url with a query",
		env:  map[string]string{"CHATTO_WEBSERVER_URL": "https://chat.example.com/?x=1"},
		want: []string{"config: webserver.url: "},
	}, {
		name: "listen without a port",
		toml: "[webserver]\nlisten = \"127.0.0.1\"\n",
		want: []string{"config: webserver.listen: "},
	}, {
		name: "listen with a non-numeric port",
		toml: "[webserver]\nlisten = \"127.0.0.1:http\"\n",
		want: []string{"config: webserver.listen: "},
	}, {
		name: "trusted proxy that is not a CIDR",
		toml: "[webserver]\ntrusted_proxies = [\"127.0.0.1/32\", \"proxy.internal\"]\n",
		want: []string{"config: webserver.trusted_proxies: ", `"proxy.internal"`},
	}, {
		name: "trusted proxy as a bare address",
		env:  map[string]string{"CHATTO_WEBSERVER_TRUSTED_PROXIES": "10.0.0.1"},
		want: []string{"config: webserver.trusted_proxies: ", `"10.0.0.1"`},
	}, {
		name: "trusted proxies as a string instead of a list",
		toml: "[webserver]\ntrusted_proxies = \"127.0.0.1/32\"\n",
		want: []string{"webserver.trusted_proxies"},
	}, {
		name: "metrics_allow with a prefix length out of range",
		toml: "[webserver]\nmetrics_allow = [\"127.0.0.0/33\"]\n",
		want: []string{"config: webserver.metrics_allow: ", `"127.0.0.0/33"`},
	}, {
		name: "metrics_allow with an empty entry",
		env:  map[string]string{"CHATTO_WEBSERVER_METRICS_ALLOW": "::1/128,,127.0.0.0/8"},
		want: []string{"config: webserver.metrics_allow: ", `""`},
	}, {
		name: "empty database path",
		toml: "[database]\npath = \"\"\n",
		want: []string{"config: database.path: required"},
	}, {
		name: "misspelt environment variable",
		env:  map[string]string{"CHATTO_LIVEKIT_TOKENTTL": "5m", "CHATTO_WEBSERVER_LISTEN": "127.0.0.1:9"},
		want: []string{"config: unknown environment variable CHATTO_LIVEKIT_TOKENTTL"},
	}, {
		name: "misspelt secret variable names the variable, not the value",
		env:  map[string]string{"CHATTO_LIVEKIT_SECRET": secret},
		want: []string{"config: unknown environment variable CHATTO_LIVEKIT_SECRET"},
	}, {
		name: "missing api_key when enabled",
		toml: "[livekit]\nenabled = true\nurl = \"ws://127.0.0.1:7880\"\napi_secret = \"" + secret + "\"\n",
		want: []string{"config: livekit.api_key: required"},
	}, {
		name: "short api_secret when enabled",
		toml: "[livekit]\nenabled = true\nurl = \"ws://127.0.0.1:7880\"\napi_key = \"k\"\napi_secret = \"short\"\n",
		want: []string{"config: livekit.api_secret: must be at least 32 characters"},
	}, {
		name: "missing livekit url when enabled",
		toml: "[livekit]\nenabled = true\napi_key = \"k\"\napi_secret = \"" + secret + "\"\n",
		want: []string{"config: livekit.url: "},
	}, {
		name: "unknown call type",
		toml: enabledTOML + "default_type = \"hologram\"\n",
		want: []string{"config: livekit.default_type: ", `"hologram"`},
	}, {
		name: "unknown role",
		toml: enabledTOML + "default_role = \"moderator\"\n",
		want: []string{"config: livekit.default_role: ", `"moderator"`},
	}, {
		name: "negative remove cooldown",
		env:  map[string]string{"CHATTO_LIVEKIT_REMOVE_COOLDOWN": "-1s"},
		toml: enabledTOML,
		want: []string{"config: livekit.remove_cooldown: "},
	}, {
		name: "ring timeout too short",
		env:  map[string]string{"CHATTO_LIVEKIT_RING_TIMEOUT": "500ms"},
		toml: enabledTOML,
		want: []string{"config: livekit.ring_timeout: "},
	}, {
		name: "webhook_url derived from an invalid webserver url is not blamed",
		toml: enabledTOML + "[webserver]\nurl = \"/relative\"\n",
		want: []string{"config: webserver.url: "},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadFailure(t, tt.env, tt.toml)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// The variables the repository's own scripts and tests set are not
// mistaken for misspelt settings.
func TestLoadAcceptsToolVariables(t *testing.T) {
	clearEnv(t)
	for name := range toolEnv {
		t.Setenv(name, "/some/where")
	}
	if _, err := Load(""); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMissingFileNamesThePath(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "absent.toml")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(%q) error = %v, want one naming the path", path, err)
	}
}

func TestLoadErrorsNeverShowTheSecret(t *testing.T) {
	tests := []struct {
		name   string
		toml   string
		env    map[string]string
		secret string
	}{{
		name:   "secret set, error elsewhere",
		toml:   enabledTOML + "[webserver]\nlisten = \"nope\"\n",
		secret: secret,
	}, {
		name:   "secret set, invalid livekit setting",
		toml:   enabledTOML + "max_participants = 1\n",
		secret: secret,
	}, {
		name:   "secret as a bare word",
		toml:   "[livekit]\napi_secret = TopSecretBareWord\n",
		secret: "TopSecret",
	}, {
		name:   "secret as an integer",
		toml:   "[livekit]\napi_secret = 987654321\n",
		secret: "987654321",
	}, {
		name:   "secret as an integer out of range",
		toml:   "[livekit]\napi_secret = 98765432109876543210\n",
		secret: "987654321",
	}, {
		name:   "secret in an array",
		toml:   "[livekit]\napi_secret = [\"" + secret + "\"]\n",
		secret: secret,
	}, {
		name:   "secret under a misspelt key",
		toml:   "[livekit]\napi_sekret = \"" + secret + "\"\n",
		secret: secret,
	}, {
		name:   "metrics token too short",
		env:    map[string]string{"CHATTO_WEBSERVER_METRICS_TOKEN": "Short-Tok3n"},
		secret: "Short-Tok3n",
	}, {
		name:   "metrics token with a space",
		toml:   "[webserver]\nmetrics_token = \"TopSecret token that is long\"\n",
		secret: "TopSecret",
	}, {
		name:   "secret in environment, error elsewhere in environment",
		env:    map[string]string{"CHATTO_LIVEKIT_API_SECRET": secret, "CHATTO_LIVEKIT_TOKEN_TTL": "soon"},
		secret: secret,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadFailure(t, tt.env, tt.toml)
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// Every TOML key must be settable as exactly CHATTO_<SECTION>_<KEY>; a
// renamed field or a leaf envconfig tag would break this silently.
func TestEveryKeyHasItsEnvVar(t *testing.T) {
	clearEnv(t)
	ls := leaves(t)
	for _, l := range ls {
		v, ok := nonDefault[l.key]
		if !ok {
			t.Fatalf("nonDefault has no value for %s; add one", l.key)
		}
		t.Setenv(l.env, v)
	}
	c, err := Load("")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defaults := New()
	for _, l := range ls {
		got := asEnv(l.value(c))
		if got != nonDefault[l.key] {
			t.Errorf("%s=%q: %s = %q", l.env, nonDefault[l.key], l.key, got)
		}
		if got == asEnv(l.value(defaults)) {
			t.Errorf("nonDefault[%q] equals the default, so it proves nothing", l.key)
		}
	}
}

// envconfig falls back to the bare variable for fields with an envconfig
// tag; none of chatto's settings may be read from $PATH, $URL and the like.
func TestLoadIgnoresUnprefixedEnv(t *testing.T) {
	clearEnv(t)
	want, err := Load("")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Setenv("PATH", "/tmp/leaked.db")
	t.Setenv("URL", "wss://leaked.example.com")
	for _, l := range leaves(t) {
		for _, name := range []string{
			strings.ToUpper(l.name),
			strings.ToUpper(l.section + "_" + l.name),
			strings.ToUpper(strings.ReplaceAll(l.name, "_", "")),
		} {
			t.Setenv(name, nonDefault[l.key])
		}
	}
	got, err := Load("")
	if err != nil {
		t.Fatalf("Load with unprefixed variables set: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unprefixed variables leaked into the config:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestExampleFileLoadsAndListsEveryKeyWithItsDefault(t *testing.T) {
	clearEnv(t)
	c, err := Load(exampleFile)
	if err != nil {
		t.Fatalf("Load(%s): %v", exampleFile, err)
	}
	if !c.LiveKit.Enabled || c.LiveKit.URL != "ws://127.0.0.1:7880" || c.LiveKit.APIKey != "devkey" {
		t.Errorf("example livekit = enabled %v, url %q, api_key %q; want a loopback dev setup",
			c.LiveKit.Enabled, c.LiveKit.URL, c.LiveKit.APIKey)
	}

	md, err := toml.DecodeFile(exampleFile, new(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	// Keys the example sets to something other than the default, on purpose.
	example := map[string]bool{
		"livekit.enabled":    true,
		"livekit.url":        true,
		"livekit.api_key":    true,
		"livekit.api_secret": true,
	}
	var raw Config
	if _, err := toml.DecodeFile(exampleFile, &raw); err != nil {
		t.Fatal(err)
	}
	defaults := New()
	for _, l := range leaves(t) {
		if !md.IsDefined(l.section, l.name) {
			t.Errorf("%s is missing from %s", l.key, exampleFile)
			continue
		}
		if example[l.key] {
			continue
		}
		// Compared as written, so an empty list in the file is the
		// default's none.
		if got, want := asEnv(l.value(raw)), asEnv(l.value(defaults)); got != want {
			t.Errorf("%s = %v in %s, but the default is %v", l.key, got, exampleFile, want)
		}
	}
}

func TestLiveKitYAML(t *testing.T) {
	clearEnv(t)
	c, err := Load(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    string
		hook   string
		want   string
		secret string
	}{{
		name:   "example config",
		key:    c.LiveKit.APIKey,
		hook:   c.LiveKit.WebhookURL,
		secret: c.LiveKit.APISecret,
		want: "webhook:\n" +
			"  api_key: devkey\n" +
			"  urls:\n" +
			"    - http://127.0.0.1:8080/webhooks/livekit\n" +
			"room:\n" +
			"  auto_create: true\n",
	}, {
		name: "values YAML would misread are quoted",
		key:  "#key: odd",
		hook: "",
		want: "webhook:\n" +
			"  api_key: \"#key: odd\"\n" +
			"  urls:\n" +
			"    - \"\"\n" +
			"room:\n" +
			"  auto_create: true\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			c.LiveKit.APIKey = tt.key
			c.LiveKit.WebhookURL = tt.hook
			c.LiveKit.APISecret = secret
			got := c.LiveKitYAML()
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if strings.Contains(got, secret) {
				t.Error("snippet contains the secret")
			}
		})
	}
}

func TestLogValueListsEveryKeyAndRedactsTheSecret(t *testing.T) {
	clearEnv(t)
	c, err := Load(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	c.LiveKit.APISecret = secret
	c.Webserver.MetricsToken = "metrics-" + secret

	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		slog.New(h.new(&buf)).Info("starting", "config", c)
		if strings.Contains(buf.String(), secret) {
			t.Errorf("%s log contains the secret: %s", h.name, buf.String())
		}
		if !strings.Contains(buf.String(), "[redacted]") {
			t.Errorf("%s log does not mark the secret as redacted: %s", h.name, buf.String())
		}
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	for _, l := range leaves(t) {
		if _, ok := line.Config[l.section][l.name]; !ok {
			t.Errorf("%s is not logged: %s", l.key, buf.String())
		}
	}
	if got := line.Config["livekit"]["url"]; got != "ws://127.0.0.1:7880" {
		t.Errorf("logged livekit.url = %v", got)
	}
}
