package outgoing

import (
	"net/http"
	"testing"
	"time"

	"github.com/chattocalls/chatto/outgoing/outgoingtest"
)

// The test vector published with the Standard Webhooks spec.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSigningMatchesTheStandardWebhooksTestVector(t *testing.T) {
	w, err := New(nil, Options{
		Endpoints:   []Endpoint{{URL: "http://127.0.0.1:1/", Secret: vectorSecret}},
		MaxAttempts: 1, Timeout: time.Second, Concurrency: 1, RetryBase: time.Second, RetryMax: time.Second,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.endpoints["http://127.0.0.1:1/"].signer.Sign(vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if err != nil || got != vectorSignature {
		t.Fatalf("signature = %q, %v; want %q", got, err, vectorSignature)
	}

	// The test receiver's own verification (written from the spec) agrees
	// with the vector, so receivers built on it test real interoperability.
	h := http.Header{}
	h.Set(HeaderID, vectorID)
	h.Set(HeaderTimestamp, "1614265330")
	h.Set(HeaderSignature, "v1,bm90IGl0 "+vectorSignature)
	at := time.Unix(vectorTimestamp, 0)
	if err := outgoingtest.Verify(vectorSecret, h, []byte(vectorBody), at); err != nil {
		t.Fatalf("receiver rejects the vector: %v", err)
	}
	for name, mutate := range map[string]func(http.Header) ([]byte, time.Time){
		"other body": func(http.Header) ([]byte, time.Time) { return []byte(`{"test": 2432232315}`), at },
		"other id":   func(h http.Header) ([]byte, time.Time) { h.Set(HeaderID, "msg_x"); return []byte(vectorBody), at },
		"too old":    func(http.Header) ([]byte, time.Time) { return []byte(vectorBody), at.Add(6 * time.Minute) },
		"other version": func(h http.Header) ([]byte, time.Time) {
			h.Set(HeaderSignature, "v2"+vectorSignature[2:])
			return []byte(vectorBody), at
		},
		"other timestamp": func(h http.Header) ([]byte, time.Time) {
			h.Set(HeaderTimestamp, "1614265331")
			return []byte(vectorBody), at
		},
	} {
		h := h.Clone()
		body, now := mutate(h)
		if err := outgoingtest.Verify(vectorSecret, h, body, now); err == nil {
			t.Errorf("%s: receiver accepts it", name)
		}
	}
}

func TestBackoffDoublesFromBaseUpToMaxWithJitter(t *testing.T) {
	base, limit := time.Second, 10*time.Second
	for _, tc := range []struct {
		n        int
		jitter   float64
		min, max time.Duration
	}{
		{1, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{1, 0.999, 500 * time.Millisecond, time.Second},
		{2, 0, time.Second, time.Second},
		{3, 0.5, 3 * time.Second, 3 * time.Second},
		{4, 0.999, 4 * time.Second, 8 * time.Second},
		{5, 0, 5 * time.Second, 5 * time.Second}, // 16s capped at 10s
		{100, 0.999, 5 * time.Second, 10 * time.Second},
	} {
		got := backoff(tc.n, base, limit, tc.jitter)
		if got < tc.min || got > tc.max {
			t.Errorf("backoff(%d, jitter %.3f) = %s, want %s..%s", tc.n, tc.jitter, got, tc.min, tc.max)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:05:05 GMT": time.Minute,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", v, got, want)
		}
	}
}
