package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/internal/server"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chatto.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const secret = "a-secret-that-is-long-enough-0123456789"

// run runs a command line as main does, with stdin empty and bcrypt at
// its cheapest.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWithInput(ctx, args, "", stdout, stderr)
}

func runWithInput(ctx context.Context, args []string, stdin string, stdout, stderr io.Writer) error {
	c := &cli{
		stdin: strings.NewReader(stdin), stdout: stdout, stderr: stderr,
		hostOpts: []host.Option{host.WithBcryptCost(bcrypt.MinCost)},
		server:   func(m *server.Main) { m.BcryptCost = bcrypt.MinCost },
	}
	return c.run(ctx, args)
}

func TestInvalidConfigStopsStartupNamingTheKey(t *testing.T) {
	cases := map[string]struct{ toml, want string }{
		"unknown key":      {"[livekit]\nenabeld = true\n", "livekit.enabeld"},
		"bad duration":     {"[livekit]\ntoken_ttl = \"soon\"\n", "livekit.token_ttl"},
		"missing api key":  {"[livekit]\nenabled = true\nurl = \"ws://127.0.0.1:7880\"\napi_secret = \"" + secret + "\"\n", "livekit.api_key"},
		"bad livekit url":  {"[livekit]\nenabled = true\nurl = \"localhost\"\napi_key = \"k\"\napi_secret = \"" + secret + "\"\n", "livekit.url"},
		"bad listen":       {"[webserver]\nlisten = \"nonsense\"\n", "webserver.listen"},
		"short api secret": {"[livekit]\nenabled = true\nurl = \"ws://127.0.0.1:7880\"\napi_key = \"k\"\napi_secret = \"tooshort\"\n", "livekit.api_secret"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"serve", "-config", writeConfig(t, tc.toml)}, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "tooshort") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestLiveKitYAMLPrintsWebhookBlockWithoutSecret(t *testing.T) {
	p := writeConfig(t, "[webserver]\nurl = \"https://chat.example.com\"\n[livekit]\nenabled = true\nurl = \"wss://lk.example.com\"\napi_key = \"mykey\"\napi_secret = \""+secret+"\"\n")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"livekit-yaml", "-config", p}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"webhook:", "api_key: mykey", "https://chat.example.com/webhooks/livekit"} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got+errOut.String(), secret) {
		t.Fatal("snippet contains the API secret")
	}
}

func TestConfigCheckLogsWithoutSecret(t *testing.T) {
	p := writeConfig(t, "[webserver]\nmetrics_token = \"metrics-"+secret+"\"\n[livekit]\nenabled = true\nurl = \"ws://127.0.0.1:7880\"\napi_key = \"k\"\napi_secret = \""+secret+"\"\n")
	for _, args := range [][]string{{"config", "check"}, {"check-config"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append(args, "-config", p), &out, &errOut); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(errOut.String(), "configuration is valid") || strings.Contains(errOut.String(), secret) {
			t.Fatalf("%v output:\n%s", args, errOut.String())
		}
	}
	bad := writeConfig(t, "[livekit]\nenabeld = true\n")
	if err := run(context.Background(), []string{"config", "check", "-config", bad}, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "livekit.enabeld") {
		t.Fatalf("config check of a bad file: %v", err)
	}
	if err := run(context.Background(), []string{"config"}, io.Discard, io.Discard); err == nil {
		t.Fatal("chatto config without check succeeded")
	}
}
