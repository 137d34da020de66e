package chatto

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestConfigNeverShowsTheSecret(t *testing.T) {
	const secret = "config-test-secret-0123456789abcdefgh"
	c := NewConfig()
	c.Enabled, c.URL, c.APIKey, c.APISecret = true, "ws://127.0.0.1:7880", "k", secret
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("config", "livekit", c, "ptr", &c)
	}
	fmt.Fprintf(&buf, "%v %+v %s", c, c, c)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Fatalf("the secret leaked: %s", out)
	}
	if !strings.Contains(out, "[redacted]") || !strings.Contains(out, "ws://127.0.0.1:7880") {
		t.Fatalf("the settings are not shown: %s", out)
	}
}
