package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/outgoing"
)

// Webhooks is the [webhooks] section: outgoing webhooks that tell host
// servers about calls, and how their delivery is retried.
type Webhooks struct {
	// MaxAttempts is how many times a delivery is tried before it is
	// given up on (dead).
	MaxAttempts int `toml:"max_attempts" split_words:"true"`
	// Timeout bounds one attempt, connection and answer included.
	Timeout time.Duration `toml:"timeout" split_words:"true"`
	// Concurrency is how many deliveries are in flight at once.
	Concurrency int `toml:"concurrency" split_words:"true"`
	// RetryBase is the wait after the first failed attempt; it doubles
	// with each further failure, up to RetryMax, with jitter.
	RetryBase time.Duration `toml:"retry_base" split_words:"true"`
	RetryMax  time.Duration `toml:"retry_max" split_words:"true"`
	// Outgoing are the receivers, [[webhooks.outgoing]] in TOML and
	// CHATTO_WEBHOOKS_OUTGOING_<n>_<KEY> in the environment. envconfig
	// cannot read arrays of tables, so processOutgoingEnv does.
	Outgoing []Outgoing `toml:"outgoing" ignored:"true"`
}

// Outgoing is one [[webhooks.outgoing]] entry.
type Outgoing struct {
	// URL receives a POST per event.
	URL string `toml:"url"`
	// Secret signs the deliveries (Standard Webhooks): "whsec_" and the
	// base64 of a 24 to 64 byte key. It never appears in logs, errors or
	// responses.
	Secret string `toml:"secret"`
	// Events are the webhook types sent here; empty means all.
	Events []string `toml:"events"`
}

// NewWebhooks returns the [webhooks] defaults: no receivers.
func NewWebhooks() Webhooks {
	return Webhooks{
		MaxAttempts: 8,
		Timeout:     10 * time.Second,
		Concurrency: 4,
		RetryBase:   time.Second,
		RetryMax:    10 * time.Minute,
	}
}

// outgoingEnvPattern matches the variables of [[webhooks.outgoing]]
// entries. Indexes are written without leading zeros, so each entry has
// exactly one name.
var outgoingEnvPattern = regexp.MustCompile(`^CHATTO_WEBHOOKS_OUTGOING_(0|[1-9][0-9]{0,5})_(URL|SECRET|EVENTS)$`)

// processOutgoingEnv applies CHATTO_WEBHOOKS_OUTGOING_<n>_URL, _SECRET and
// _EVENTS (comma-separated; empty means all). A variable overrides that
// key of entry n from the file, or adds entry n right after the last one;
// a gap would leave an entry with nothing in it, so it is an error naming
// the variable. Values are never quoted in errors.
func (w *Webhooks) processOutgoingEnv() error {
	type setting struct {
		name, key, value string
		index            int
	}
	var settings []setting
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		m := outgoingEnvPattern.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		settings = append(settings, setting{name: name, key: m[2], value: value, index: n})
	}
	slices.SortFunc(settings, func(a, b setting) int {
		if a.index != b.index {
			return a.index - b.index
		}
		return strings.Compare(a.key, b.key)
	})
	for _, s := range settings {
		switch {
		case s.index == len(w.Outgoing):
			w.Outgoing = append(w.Outgoing, Outgoing{})
		case s.index > len(w.Outgoing):
			return fmt.Errorf("config: environment variable %s: there is no webhooks.outgoing[%d] before it; number entries from 0 without gaps",
				s.name, len(w.Outgoing))
		}
		o := &w.Outgoing[s.index]
		switch s.key {
		case "URL":
			o.URL = s.value
		case "SECRET":
			o.Secret = s.value
		case "EVENTS":
			o.Events = nil
			for _, ev := range strings.Split(s.value, ",") {
				if ev = strings.TrimSpace(ev); ev != "" {
					o.Events = append(o.Events, ev)
				}
			}
		}
	}
	return nil
}

// secretPrefix starts every Standard Webhooks signing secret.
const secretPrefix = "whsec_"

func (w Webhooks) validate() error {
	switch {
	case w.MaxAttempts < 1 || w.MaxAttempts > 100:
		return fmt.Errorf("webhooks.max_attempts: %d is outside 1..100", w.MaxAttempts)
	case w.Timeout < 100*time.Millisecond || w.Timeout > 10*time.Minute:
		return fmt.Errorf("webhooks.timeout: %s is outside 100ms..10m", w.Timeout)
	case w.Concurrency < 1 || w.Concurrency > 64:
		return fmt.Errorf("webhooks.concurrency: %d is outside 1..64", w.Concurrency)
	case w.RetryBase < 10*time.Millisecond:
		return fmt.Errorf("webhooks.retry_base: %s is shorter than 10ms", w.RetryBase)
	case w.RetryMax < w.RetryBase:
		return fmt.Errorf("webhooks.retry_max: %s is shorter than retry_base (%s)", w.RetryMax, w.RetryBase)
	}
	seen := map[string]int{}
	for i, o := range w.Outgoing {
		key := fmt.Sprintf("webhooks.outgoing[%d]", i)
		if err := checkHookURL(o.URL); err != nil {
			return fmt.Errorf("%s.url: %w", key, err)
		}
		if j, dup := seen[o.URL]; dup {
			return fmt.Errorf("%s.url: same url as webhooks.outgoing[%d]", key, j)
		}
		seen[o.URL] = i
		if err := checkSecret(o.Secret); err != nil {
			return fmt.Errorf("%s.secret: %w", key, err)
		}
		for _, ev := range o.Events {
			if !slices.Contains(chatto.WebhookEvents(), ev) {
				return fmt.Errorf("%s.events: %q is not one of %s", key, ev, strings.Join(chatto.WebhookEvents(), ", "))
			}
		}
	}
	return nil
}

// checkHookURL accepts absolute http(s) URLs. Errors show at most the
// scheme and host, since a receiver may take credentials anywhere else in
// it (see outgoing.RedactURL).
func checkHookURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a valid URL")
	case u.Host == "":
		return errors.New("not an absolute URL (want http:// or https:// and a host)")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Fragment != "":
		return fmt.Errorf("the URL of %s must not have a fragment", outgoing.RedactURL(raw))
	}
	return nil
}

// checkSecret enforces the Standard Webhooks secret format and the key
// sizes it recommends, without ever quoting the value.
func checkSecret(secret string) error {
	if secret == "" {
		return errors.New("required")
	}
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return fmt.Errorf("must start with %q followed by a base64 key", secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("the part after %q is not standard base64", secretPrefix)
	}
	if len(key) < 24 || len(key) > 64 {
		return fmt.Errorf("the key is %d bytes; it must be 24 to 64 (e.g. %s$(openssl rand -base64 32))", len(key), secretPrefix)
	}
	return nil
}

// LogValue lists the settings with every secret shown only as set or not.
func (w Webhooks) LogValue() slog.Value {
	entries := make([]slog.Attr, len(w.Outgoing))
	for i, o := range w.Outgoing {
		entries[i] = slog.Attr{Key: strconv.Itoa(i), Value: o.LogValue()}
	}
	return slog.GroupValue(
		slog.Int("max_attempts", w.MaxAttempts),
		slog.String("timeout", w.Timeout.String()),
		slog.Int("concurrency", w.Concurrency),
		slog.String("retry_base", w.RetryBase.String()),
		slog.String("retry_max", w.RetryMax.String()),
		slog.Attr{Key: "outgoing", Value: slog.GroupValue(entries...)},
	)
}

// LogValue shows the entry with its secret redacted and only the scheme
// and host of its URL.
func (o Outgoing) LogValue() slog.Value {
	secret := ""
	if o.Secret != "" {
		secret = "[redacted]"
	}
	return slog.GroupValue(
		slog.String("url", outgoing.RedactURL(o.URL)),
		slog.String("secret", secret),
		slog.String("events", strings.Join(o.Events, ",")),
	)
}

// String keeps the secret out of %v and %+v.
func (o Outgoing) String() string {
	secret := ""
	if o.Secret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("{url:%s secret:%s events:%v}", outgoing.RedactURL(o.URL), secret, o.Events)
}
