// Command lkbuild makes sure the pinned livekit-server is built and cached,
// and prints its path. scripts/test.sh runs it before the tests so that the
// one-time build shows its progress instead of stalling a test package.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/chattocalls/chatto/internal/lkserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bin, err := lkserver.Binary(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
