// Package config loads the settings chatto runs with: defaults set in code,
// overridden by a TOML file, overridden by CHATTO_* environment variables.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/kelseyhightower/envconfig"

	"github.com/chattocalls/chatto/chatto"
)

// Config is the whole of chatto.toml. Each section is a struct whose TOML
// key comes from its toml tag and whose environment variable is
// CHATTO_<SECTION>_<KEY>, e.g. livekit.api_key is CHATTO_LIVEKIT_API_KEY.
//
// Only the section fields carry envconfig tags. On a leaf field an
// envconfig tag would also make envconfig fall back to the unprefixed
// variable, so a tag "path" would read $PATH; leaf fields therefore name
// their variable through split_words instead.
type Config struct {
	Webserver Webserver     `toml:"webserver" envconfig:"webserver"`
	Database  Database      `toml:"database" envconfig:"database"`
	LiveKit   chatto.Config `toml:"livekit" envconfig:"livekit"`
	Webhooks  Webhooks      `toml:"webhooks" envconfig:"webhooks"`
}

// Webserver is the [webserver] section.
type Webserver struct {
	// URL is the public base URL browsers use to reach chatto. Links and
	// the default LiveKit webhook URL are built from it.
	URL string `toml:"url" split_words:"true"`
	// Listen is the host:port the HTTP server binds to.
	Listen string `toml:"listen" split_words:"true"`
	// SessionIdle ends a session that made no request for this long.
	SessionIdle time.Duration `toml:"session_idle" split_words:"true"`
	// SessionMax ends a session this long after sign-in, however active.
	SessionMax time.Duration `toml:"session_max" split_words:"true"`
	// MaxStreamsPerUser and MaxStreams cap open event streams (/api/events)
	// per user and in all; one more gets 429 rate_limited.
	MaxStreamsPerUser int `toml:"max_streams_per_user" split_words:"true"`
	MaxStreams        int `toml:"max_streams" split_words:"true"`
	// MetricsToken, if set, lets a scraper that sends it as a bearer
	// token read /metrics from anywhere; without it (and in any case)
	// only clients on this machine may. Never logged.
	MetricsToken string `toml:"metrics_token" split_words:"true"`
	// MetricsAllow are the client addresses (CIDRs) /metrics answers
	// without the token. A client address is the peer's, or the one a
	// trusted proxy names (see TrustedProxies).
	MetricsAllow []string `toml:"metrics_allow" split_words:"true"`
	// TrustedProxies are the reverse proxies (CIDRs) whose
	// X-Forwarded-For and X-Forwarded-Proto are believed. Anyone else
	// could write any address there and so pick the address the sign-in
	// limits count against, or pass the /metrics address check; nobody
	// is trusted unless listed, not even this machine, since any local
	// process could then do the same.
	TrustedProxies []string `toml:"trusted_proxies" split_words:"true"`
}

// TrustedProxyPrefixes parses TrustedProxies.
func (w Webserver) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	return parseCIDRs("webserver.trusted_proxies", w.TrustedProxies)
}

// MetricsAllowPrefixes parses MetricsAllow.
func (w Webserver) MetricsAllowPrefixes() ([]netip.Prefix, error) {
	return parseCIDRs("webserver.metrics_allow", w.MetricsAllow)
}

// parseCIDRs parses a list of CIDRs; errors name key. A bare address is
// refused rather than read as a single host: "10.0.0.0" may as well
// have meant the whole network.
func parseCIDRs(key string, list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR (an address and a prefix length, e.g. \"127.0.0.1/32\" or \"::1/128\")", key, s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Database is the [database] section.
type Database struct {
	// Path is the SQLite database file, relative to the working directory
	// unless absolute.
	Path string `toml:"path" split_words:"true"`
}

// New returns the defaults. They serve a single machine on loopback with
// calls disabled, so an empty config file is a working one.
func New() Config {
	return Config{
		Webserver: Webserver{
			URL:         "http://127.0.0.1:8080",
			Listen:      "127.0.0.1:8080",
			SessionIdle: 24 * time.Hour,
			SessionMax:  30 * 24 * time.Hour,
			// A person rarely has more than a few tabs open; the total
			// stays well inside the file descriptors of a small server.
			MaxStreamsPerUser: 16,
			MaxStreams:        10000,
			// Only this machine reads the metrics, and no proxy is
			// trusted until the operator says which.
			MetricsAllow: []string{"127.0.0.0/8", "::1/128"},
		},
		Database: Database{
			Path: "data/chatto.db",
		},
		LiveKit:  chatto.NewConfig(),
		Webhooks: NewWebhooks(),
	}
}

// Secrets are never echoed: not in our own errors, not in errors from
// the decoders we wrap, not in logs. secretKeys are their TOML keys as
// the TOML decoder names them (an array's entries share one name).
var secretKeys = map[string]bool{
	"livekit.api_secret":         true,
	"livekit.webhook_api_secret": true,
	"webhooks.outgoing.secret":   true,
	"webserver.metrics_token":    true,
}

const (
	secretEnv       = "CHATTO_LIVEKIT_API_SECRET"
	metricsTokenEnv = "CHATTO_WEBSERVER_METRICS_TOKEN"
)

// Load returns New overridden by the TOML file at path (none if path is
// "") and then by CHATTO_* variables from the process environment, with
// derived settings filled in and everything validated. Errors name the
// TOML key or environment variable at fault.
func Load(path string) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			// The *PathError already names the path.
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	return load(path, data)
}

// load is Load on the file's text, already read (none if path is ""), so
// the fuzz test can feed it text without writing files.
func load(path string, data []byte) (Config, error) {
	c := New()
	if path != "" {
		if err := c.decode(path, data); err != nil {
			return Config{}, err
		}
	}
	if err := c.processEnv(); err != nil {
		return Config{}, err
	}
	c.normalize()
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// decode decodes strictly: a misspelt key would otherwise be silently
// ignored and the default used in its place.
func (c *Config) decode(path string, data []byte) error {
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return decodeError(path, err)
	}
	if keys := unknownKeys(md.Undecoded()); len(keys) > 0 {
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = strconv.Quote(k)
		}
		if len(keys) == 1 {
			return fmt.Errorf("config: unknown key %s", quoted[0])
		}
		return fmt.Errorf("config: unknown keys %s", strings.Join(quoted, ", "))
	}
	return nil
}

// decodeError rewords a TOML error so it leads with the key. Type
// mismatches are not ParseErrors, but BurntSushi/toml already names the key
// in them ("last key ...") and never the value, so they are only wrapped.
func decodeError(path string, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	msg := pe.Message
	if secretKeys[pe.LastKey] {
		// Syntax errors quote the offending text, e.g. `expected value
		// but found "<secret>"`.
		msg = "invalid value (not shown, it may be the secret)"
	}
	if pe.LastKey == "" {
		return fmt.Errorf("config: %s: line %d: %s", path, pe.Position.Line, msg)
	}
	return fmt.Errorf("config: %s: line %d: %s: %s", path, pe.Position.Line, pe.LastKey, msg)
}

// unknownKeys drops keys whose parent is itself unknown: an unknown
// [table] would otherwise be reported once for every key inside it.
func unknownKeys(undecoded []toml.Key) []string {
	unknown := make(map[string]bool, len(undecoded))
	for _, k := range undecoded {
		unknown[k.String()] = true
	}
	var keys []string
	for _, k := range undecoded {
		if len(k) > 1 && unknown[k[:len(k)-1].String()] {
			continue
		}
		keys = append(keys, k.String())
	}
	return keys
}

// toolEnv are CHATTO_* variables that the repository's scripts and tests
// read, not the server; they may be set where the server runs.
var toolEnv = map[string]bool{
	"CHATTO_LIVEKIT_SERVER_BIN": true, // a prebuilt livekit-server (internal/lkserver)
	"CHATTO_CHROMIUM":           true, // the browser tests' Chromium
	"CHATTO_BROWSER_CONSOLE":    true, // browser tests echo the page console
	"CHATTO_SOAK":               true, // longer reliability suites (internal/calltest)
	"CHATTO_CHAOS_SEED":         true, // replays a reliability suite's random choices
}

// checkEnvNames refuses CHATTO_* variables that configure nothing: like a
// misspelt TOML key, a misspelt variable would silently leave the default
// in place. Only names are reported, never values.
func (c *Config) checkEnvNames() error {
	var names strings.Builder
	if err := envconfig.Usagef("chatto", c, &names, "{{range .}}{{.Key}}\n{{end}}"); err != nil {
		return fmt.Errorf("config: environment: %w", err)
	}
	known := make(map[string]bool)
	for _, k := range strings.Fields(names.String()) {
		known[k] = true
	}
	var unknown []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CHATTO_") && !known[name] && !toolEnv[name] && !outgoingEnvPattern.MatchString(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("config: unknown environment variable %s", strings.Join(unknown, ", "))
}

func (c *Config) processEnv() error {
	if err := c.checkEnvNames(); err != nil {
		return err
	}
	err := envconfig.Process("chatto", c)
	var pe *envconfig.ParseError
	switch {
	case err == nil:
		return c.Webhooks.processOutgoingEnv()
	case errors.As(err, &pe) && (pe.KeyName == secretEnv || pe.KeyName == metricsTokenEnv):
		return fmt.Errorf("config: environment variable %s: invalid value (not shown)", pe.KeyName)
	case errors.As(err, &pe):
		return fmt.Errorf("config: environment variable %s: cannot use %q as %s: %w",
			pe.KeyName, pe.Value, pe.TypeName, pe.Err)
	}
	return fmt.Errorf("config: environment: %w", err)
}

// normalize fills in settings derived from others. It runs after the
// environment is applied so that, for example, CHATTO_WEBSERVER_URL also
// moves the default webhook URL.
func (c *Config) normalize() {
	// Paths are appended to the base URL; a trailing slash would double up.
	c.Webserver.URL = strings.TrimRight(c.Webserver.URL, "/")
	// The environment's lists are comma-separated; "a, b" is as meant.
	trimAll(c.Webserver.TrustedProxies)
	trimAll(c.Webserver.MetricsAllow)
	if c.LiveKit.WebhookURL == "" {
		c.LiveKit.WebhookURL = c.Webserver.URL + "/webhooks/livekit"
	}
	c.LiveKit.Normalize()
}

func (c Config) validate() error {
	if err := checkBaseURL(c.Webserver.URL); err != nil {
		return fmt.Errorf("webserver.url: %w", err)
	}
	if err := checkListen(c.Webserver.Listen); err != nil {
		return fmt.Errorf("webserver.listen: %w", err)
	}
	if err := c.Webserver.validateSessions(); err != nil {
		return err
	}
	if _, err := c.Webserver.TrustedProxyPrefixes(); err != nil {
		return err
	}
	if _, err := c.Webserver.MetricsAllowPrefixes(); err != nil {
		return err
	}
	if c.Database.Path == "" {
		return errors.New("database.path: required")
	}
	if err := c.LiveKit.Validate(); err != nil {
		return err
	}
	return c.Webhooks.validate()
}

// Session lifetimes: an idle limit under a minute would sign people out
// between clicks; over a year a stolen cookie is as good as a password.
const (
	minSession = time.Minute
	maxSession = 365 * 24 * time.Hour
)

func (w Webserver) validateSessions() error {
	switch {
	case w.SessionIdle < minSession || w.SessionIdle > maxSession:
		return fmt.Errorf("webserver.session_idle: %s is outside %s..%s", w.SessionIdle, minSession, maxSession)
	case w.SessionMax < w.SessionIdle || w.SessionMax > maxSession:
		return fmt.Errorf("webserver.session_max: %s is outside session_idle (%s)..%s", w.SessionMax, w.SessionIdle, maxSession)
	case w.MaxStreamsPerUser < 1:
		return fmt.Errorf("webserver.max_streams_per_user: %d is smaller than 1", w.MaxStreamsPerUser)
	case w.MaxStreams < w.MaxStreamsPerUser:
		return fmt.Errorf("webserver.max_streams: %d is smaller than max_streams_per_user (%d)", w.MaxStreams, w.MaxStreamsPerUser)
	case w.MetricsToken != "" && (len(w.MetricsToken) < 16 || strings.ContainsFunc(w.MetricsToken, unicode.IsSpace)):
		// A bearer token that is short is guessable; one with spaces
		// cannot be sent in an Authorization header. The value is never
		// shown.
		return errors.New("webserver.metrics_token: must be at least 16 characters without spaces (e.g. `openssl rand -hex 16`)")
	}
	return nil
}

func trimAll(list []string) {
	for i, s := range list {
		list[i] = strings.TrimSpace(s)
	}
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.RawQuery != "" || u.Fragment != "":
		// Paths are appended to it; a query or fragment would end up in
		// the middle of every link.
		return fmt.Errorf("%q must not have a query or fragment", raw)
	}
	return nil
}

func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number 0..65535", addr, port)
	}
	return nil
}

// LiveKitYAML returns the sections an admin pastes into livekit.yaml: the
// webhook, so that LiveKit posts room events to chatto, signed with the
// same API key, and room creation on first connection (LiveKit's default,
// stated because calls need it). It holds no secret: LiveKit looks the
// secret up by key in its own keys section.
func (c Config) LiveKitYAML() string {
	return "webhook:\n" +
		"  api_key: " + yamlString(cmp.Or(c.LiveKit.WebhookAPIKey, c.LiveKit.APIKey)) + "\n" +
		"  urls:\n" +
		"    - " + yamlString(c.LiveKit.WebhookURL) + "\n" +
		roomYAML
}

// roomYAML lets a call's first device create its LiveKit room, with the
// limits its token carries.
const roomYAML = "room:\n  auto_create: true\n"

// yamlString leaves ordinary keys and URLs bare, as an admin would write
// them, and double-quotes anything YAML might read as something else. Go's
// quoting escapes are a subset of YAML's double-quoted escapes.
func yamlString(s string) string {
	if s == "" || !isAlnum(s[0]) || strings.Contains(s, ": ") {
		return strconv.Quote(s)
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && !strings.ContainsRune("-_.~:/?=&%+@", rune(s[i])) {
			return strconv.Quote(s)
		}
	}
	return s
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// LogValue implements slog.LogValuer so the effective settings can be
// logged at startup without leaking the API secret; the secret shows only
// whether it is set.
func (c Config) LogValue() slog.Value {
	lk := c.LiveKit
	return slog.GroupValue(
		slog.Group("webserver",
			slog.String("url", c.Webserver.URL),
			slog.String("listen", c.Webserver.Listen),
			slog.String("session_idle", c.Webserver.SessionIdle.String()),
			slog.String("session_max", c.Webserver.SessionMax.String()),
			slog.Int("max_streams_per_user", c.Webserver.MaxStreamsPerUser),
			slog.Int("max_streams", c.Webserver.MaxStreams),
			slog.String("metrics_token", redacted(c.Webserver.MetricsToken)),
			slog.Any("metrics_allow", c.Webserver.MetricsAllow),
			slog.Any("trusted_proxies", c.Webserver.TrustedProxies),
		),
		slog.Group("database",
			slog.String("path", c.Database.Path),
		),
		// chatto.Config redacts its own secrets.
		slog.Attr{Key: "livekit", Value: lk.LogValue()},
		slog.Attr{Key: "webhooks", Value: c.Webhooks.LogValue()},
	)
}

// redacted shows a secret only as set or not.
func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}
