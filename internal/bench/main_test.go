package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// fanoutClientEnv, set in the environment, makes the test binary the
// fan-out benchmarks' client process instead of running tests.
const fanoutClientEnv = "CHATTO_BENCH_FANOUT_CLIENT"

func TestMain(m *testing.M) {
	if os.Getenv(fanoutClientEnv) != "" {
		if err := RunFanoutClient(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if bootDir != "" {
		os.RemoveAll(bootDir)
	}
	os.Exit(code)
}
