package calltest

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// SoakEnv lengthens the reliability suites (webhook chaos, crash) from
// their default of about a minute: "1" runs each for SoakDefault, a Go
// duration ("30m") for that long. Run a soak with a -timeout to match.
const SoakEnv = "CHATTO_SOAK"

// SoakDefault is how long CHATTO_SOAK=1 runs a suite.
const SoakDefault = 10 * time.Minute

// SeedEnv overrides the seed of the reliability suites' random choices,
// to replay a run's fault decisions (the seed is logged at the start).
const SeedEnv = "CHATTO_CHAOS_SEED"

// Soak returns how long a reliability suite runs: def, or what
// CHATTO_SOAK asks for.
func Soak(t testing.TB, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(SoakEnv)
	switch v {
	case "", "0":
		return def
	case "1":
		return SoakDefault
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want 1 or a positive Go duration", SoakEnv, v)
	}
	return d
}

// Seed returns the seed for a reliability suite's random choices, from
// CHATTO_CHAOS_SEED or the clock, and logs it.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(SeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an unsigned integer", SeedEnv, v)
		}
		seed = s
	}
	t.Logf("seed %d (rerun with %s=%d to replay its random choices)", seed, SeedEnv, seed)
	return seed
}
