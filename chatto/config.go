package chatto

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is the [livekit] section of chatto.toml. Field tags give the TOML
// key and, through envconfig's split_words, the CHATTO_LIVEKIT_* variable.
// A host that decodes its own configuration fills this struct and passes it
// to New.
type Config struct {
	// Enabled turns calls on. With calls off every call endpoint answers
	// 200 null and the client config tells the UI to hide call controls.
	Enabled bool `toml:"enabled" split_words:"true"`
	// URL is the LiveKit address browsers connect to (ws:// or wss://).
	URL string `toml:"url" split_words:"true"`
	// InternalURL is what this server uses for RoomService calls; it
	// defaults to URL with an http(s) scheme.
	InternalURL string `toml:"internal_url" split_words:"true"`
	APIKey      string `toml:"api_key" split_words:"true"`
	// APISecret signs tokens and verifies webhooks. It never appears in
	// logs, events or responses.
	APISecret string `toml:"api_secret" split_words:"true"`
	// WebhookURL is where LiveKit must post webhooks; it only feeds the
	// printed livekit.yaml snippet and defaults to
	// {webserver.url}/webhooks/livekit.
	WebhookURL        string        `toml:"webhook_url" split_words:"true"`
	TokenTTL          time.Duration `toml:"token_ttl" split_words:"true"`
	ReconcileInterval time.Duration `toml:"reconcile_interval" split_words:"true"`
	// JoinGrace is how long a participant may hold a token without
	// appearing in LiveKit before they are dropped from the call.
	JoinGrace        time.Duration `toml:"join_grace" split_words:"true"`
	MaxParticipants  int           `toml:"max_participants" split_words:"true"`
	EmptyTimeout     time.Duration `toml:"empty_timeout" split_words:"true"`
	DepartureTimeout time.Duration `toml:"departure_timeout" split_words:"true"`
	// WebhookMaxBytes bounds a webhook body; larger requests get 413.
	WebhookMaxBytes int64 `toml:"webhook_max_bytes" split_words:"true"`
	// DefaultType is the type of a call whose first joiner names none:
	// "audio" or "video".
	DefaultType string `toml:"default_type" split_words:"true"`
	// RingTimeout is how long a ring lasts unanswered before it is
	// recorded as missed.
	RingTimeout time.Duration `toml:"ring_timeout" split_words:"true"`
	// DefaultRole is the role of a joiner: "speaker" (publishes camera,
	// microphone and screen) or "listener" (subscribes only).
	DefaultRole string `toml:"default_role" split_words:"true"`
	// RemoveCooldown is how long a user an admin removed from a call is
	// kept out of it: every device's join, token and key is refused, and
	// a LiveKit connection with an earlier token is disconnected.
	RemoveCooldown time.Duration `toml:"remove_cooldown" split_words:"true"`
	// ForceRelay makes clients send media only through TURN relays
	// (iceTransportPolicy "relay"), so participants never learn each
	// other's addresses. LiveKit must offer TURN (see README).
	ForceRelay bool `toml:"force_relay" split_words:"true"`
	// ServerID prefixes this server's LiveKit room names
	// ("<server_id>.<room>.<call>"), so servers sharing a LiveKit project
	// never touch each other's rooms. Empty: a random id chosen once and
	// kept in the database.
	ServerID string `toml:"server_id" split_words:"true"`
	// WebhookAPIKey and WebhookAPISecret verify LiveKit's webhook
	// signatures when LiveKit signs them with another key than the one
	// this server uses for its API calls; they default to APIKey and
	// APISecret.
	WebhookAPIKey    string `toml:"webhook_api_key" split_words:"true"`
	WebhookAPISecret string `toml:"webhook_api_secret" split_words:"true"`
	// JoinBurst joins (join or token requests that add a device) may come
	// from one user at once; after that one per JoinInterval. Beyond it
	// the answer is 429 rate_limited with Retry-After.
	JoinBurst    int           `toml:"join_burst" split_words:"true"`
	JoinInterval time.Duration `toml:"join_interval" split_words:"true"`
	// MaxPendingDevices is how many devices of one user may hold a token
	// LiveKit has not confirmed yet, across all calls.
	MaxPendingDevices int `toml:"max_pending_devices" split_words:"true"`
}

// NewConfig returns the defaults; TOML and environment override them.
func NewConfig() Config {
	return Config{
		Enabled:           false,
		TokenTTL:          10 * time.Minute,
		ReconcileInterval: 30 * time.Second,
		JoinGrace:         30 * time.Second,
		MaxParticipants:   8,
		EmptyTimeout:      60 * time.Second,
		DepartureTimeout:  20 * time.Second,
		WebhookMaxBytes:   1 << 20,
		DefaultType:       "video",
		RingTimeout:       45 * time.Second,
		DefaultRole:       "speaker",
		RemoveCooldown:    60 * time.Second,
		JoinBurst:         20,
		JoinInterval:      2 * time.Second,
		MaxPendingDevices: 6,
	}
}

// Normalize fills InternalURL from URL when it is empty.
func (c *Config) Normalize() {
	if c.InternalURL == "" && c.URL != "" {
		c.InternalURL = httpURL(c.URL)
	}
}

// webhookKey returns the key pair LiveKit's webhooks are signed with.
func (c Config) webhookKey() (key, secret string) {
	if c.WebhookAPIKey == "" {
		return c.APIKey, c.APISecret
	}
	return c.WebhookAPIKey, c.WebhookAPISecret
}

var serverIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate reports the first invalid setting, naming its TOML key. A
// disabled config is always valid.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	if err := checkURL("livekit.url", c.URL, "ws", "wss", "http", "https"); err != nil {
		return err
	}
	if c.InternalURL != "" {
		if err := checkURL("livekit.internal_url", c.InternalURL, "http", "https", "ws", "wss"); err != nil {
			return err
		}
	}
	if c.WebhookURL != "" {
		if err := checkURL("livekit.webhook_url", c.WebhookURL, "http", "https"); err != nil {
			return err
		}
	}
	switch {
	case c.APIKey == "":
		return fmt.Errorf("livekit.api_key: required when calls are enabled")
	case c.APISecret == "":
		return fmt.Errorf("livekit.api_secret: required when calls are enabled")
	case len(c.APISecret) < 32:
		// LiveKit itself refuses shorter secrets; say so before it does.
		return fmt.Errorf("livekit.api_secret: must be at least 32 characters")
	case c.TokenTTL < time.Minute || c.TokenTTL > 24*time.Hour:
		return fmt.Errorf("livekit.token_ttl: %s is outside 1m..24h", c.TokenTTL)
	case c.ReconcileInterval < time.Second:
		return fmt.Errorf("livekit.reconcile_interval: %s is shorter than 1s", c.ReconcileInterval)
	case c.JoinGrace < time.Second:
		return fmt.Errorf("livekit.join_grace: %s is shorter than 1s", c.JoinGrace)
	case c.MaxParticipants < 2 || c.MaxParticipants > 1000:
		return fmt.Errorf("livekit.max_participants: %d is outside 2..1000", c.MaxParticipants)
	case c.EmptyTimeout < time.Second:
		return fmt.Errorf("livekit.empty_timeout: %s is shorter than 1s", c.EmptyTimeout)
	case c.DepartureTimeout < time.Second:
		return fmt.Errorf("livekit.departure_timeout: %s is shorter than 1s", c.DepartureTimeout)
	case c.WebhookMaxBytes < 1024:
		return fmt.Errorf("livekit.webhook_max_bytes: %d is smaller than 1024", c.WebhookMaxBytes)
	case c.DefaultType != "audio" && c.DefaultType != "video":
		return fmt.Errorf("livekit.default_type: %q is not \"audio\" or \"video\"", c.DefaultType)
	case c.RingTimeout < time.Second || c.RingTimeout > time.Hour:
		return fmt.Errorf("livekit.ring_timeout: %s is outside 1s..1h", c.RingTimeout)
	case c.DefaultRole != "speaker" && c.DefaultRole != "listener":
		return fmt.Errorf("livekit.default_role: %q is not \"speaker\" or \"listener\"", c.DefaultRole)
	case c.RemoveCooldown < 0 || c.RemoveCooldown > 24*time.Hour:
		return fmt.Errorf("livekit.remove_cooldown: %s is outside 0..24h", c.RemoveCooldown)
	case c.ServerID != "" && !serverIDPattern.MatchString(c.ServerID):
		return fmt.Errorf("livekit.server_id: %q must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'", c.ServerID)
	case c.WebhookAPIKey != "" && len(c.WebhookAPISecret) < 32:
		return fmt.Errorf("livekit.webhook_api_secret: required (at least 32 characters) when webhook_api_key is set")
	case c.WebhookAPIKey == "" && c.WebhookAPISecret != "":
		return fmt.Errorf("livekit.webhook_api_key: required when webhook_api_secret is set")
	case c.JoinBurst < 1:
		return fmt.Errorf("livekit.join_burst: %d is smaller than 1", c.JoinBurst)
	case c.JoinInterval < time.Millisecond || c.JoinInterval > time.Hour:
		return fmt.Errorf("livekit.join_interval: %s is outside 1ms..1h", c.JoinInterval)
	case c.MaxPendingDevices < 1:
		return fmt.Errorf("livekit.max_pending_devices: %d is smaller than 1", c.MaxPendingDevices)
	}
	return nil
}

func checkURL(key, raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute URL", key, raw)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("%s: scheme %q is not one of %s", key, u.Scheme, strings.Join(schemes, ", "))
}

// httpURL turns a ws(s) URL into the http(s) one RoomService speaks.
func httpURL(raw string) string {
	switch {
	case strings.HasPrefix(raw, "wss://"):
		return "https://" + strings.TrimPrefix(raw, "wss://")
	case strings.HasPrefix(raw, "ws://"):
		return "http://" + strings.TrimPrefix(raw, "ws://")
	}
	return raw
}

// LogValue shows the settings without the API secret, so logging a
// Config in any slog form never leaks it.
func (c Config) LogValue() slog.Value {
	secret, hookSecret := "", ""
	if c.APISecret != "" {
		secret = "[redacted]"
	}
	if c.WebhookAPISecret != "" {
		hookSecret = "[redacted]"
	}
	return slog.GroupValue(
		slog.Bool("enabled", c.Enabled), slog.String("url", c.URL), slog.String("internal_url", c.InternalURL),
		slog.String("api_key", c.APIKey), slog.String("api_secret", secret), slog.String("webhook_url", c.WebhookURL),
		slog.Duration("token_ttl", c.TokenTTL), slog.Duration("reconcile_interval", c.ReconcileInterval),
		slog.Duration("join_grace", c.JoinGrace), slog.Int("max_participants", c.MaxParticipants),
		slog.Duration("empty_timeout", c.EmptyTimeout), slog.Duration("departure_timeout", c.DepartureTimeout),
		slog.Int64("webhook_max_bytes", c.WebhookMaxBytes), slog.String("default_type", c.DefaultType),
		slog.Duration("ring_timeout", c.RingTimeout), slog.String("default_role", c.DefaultRole),
		slog.Duration("remove_cooldown", c.RemoveCooldown), slog.Bool("force_relay", c.ForceRelay),
		slog.String("server_id", c.ServerID), slog.String("webhook_api_key", c.WebhookAPIKey),
		slog.String("webhook_api_secret", hookSecret),
		slog.Int("join_burst", c.JoinBurst), slog.Duration("join_interval", c.JoinInterval),
		slog.Int("max_pending_devices", c.MaxPendingDevices),
	)
}

// String keeps fmt's %v and %+v from printing the secret too.
func (c Config) String() string { return c.LogValue().String() }
