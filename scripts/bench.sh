#!/usr/bin/env bash
# Runs the benchmarks, each product path next to the floor it stands on,
# in one run, against a real livekit-server on loopback, then writes the
# results table of BENCHMARKS.md and its chart (docs/bench-ratios.svg).
# Takes a few minutes; run it on an otherwise idle machine.
#   BENCHTIME   iterations (or time) per HTTP benchmark (default 3000x)
#   COUNT       runs of each benchmark (default 1)
#   BROWSER_JOINS  joins per browser benchmark (default 10)
#   NO_REPORT=1 print only, leave BENCHMARKS.md alone
set -euo pipefail
cd "$(dirname "$0")/.."
CHATTO_LIVEKIT_SERVER_BIN=$(go run ./internal/lkserver/cmd/lkbuild)
export CHATTO_LIVEKIT_SERVER_BIN
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
	go test -run '^$' -bench 'HTTP|Growth' -benchtime "${BENCHTIME:-3000x}" -count "${COUNT:-1}" -timeout 20m ./internal/bench
	go test -run '^$' -bench 'Boot' -benchtime 3x -count "${COUNT:-1}" -timeout 20m ./internal/bench
	go test -run '^$' -bench 'Reconcile' -benchtime 5x -count "${COUNT:-1}" -timeout 20m ./internal/bench
	# One process each, so rss-MB is that benchmark's server alone.
	go test -run '^$' -bench '^BenchmarkFanout$' -benchtime 10x -count "${COUNT:-1}" -timeout 20m ./internal/bench
	go test -run '^$' -bench '^BenchmarkFanoutFloor$' -benchtime 10x -count "${COUNT:-1}" -timeout 20m ./internal/bench
	go test -run '^$' -bench . -benchmem -benchtime 3000x -count "${COUNT:-1}" ./chatto ./eventlog
	bash scripts/install-chromium.sh >&2
	go test -run '^$' -bench 'BrowserJoin' -benchtime "${BROWSER_JOINS:-10}x" -count "${COUNT:-1}" -timeout 10m ./internal/web/browsertest
} | tee "$out"
if [[ -z "${NO_REPORT:-}" ]]; then
	mkdir -p docs
	go run ./internal/bench/cmd/benchreport -md BENCHMARKS.md -svg docs/bench-ratios.svg -command "bash scripts/bench.sh" <"$out"
	echo "wrote BENCHMARKS.md and docs/bench-ratios.svg"
fi
