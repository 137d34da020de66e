#!/usr/bin/env bash
# Runs the benchmarks: each plugin path next to the bare LiveKit primitive
# it builds on, in one run, against a real livekit-server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
CHATTO_LIVEKIT_SERVER_BIN=$(go run ./internal/lkserver/cmd/lkbuild)
export CHATTO_LIVEKIT_SERVER_BIN
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-3000x}" -count "${COUNT:-1}" ./chatto ./eventlog
