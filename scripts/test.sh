#!/usr/bin/env bash
# Runs every check and test of the repository; the one command a fresh
# machine needs (besides the go toolchain). CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
go version

step "gofmt"
# Tracked files plus new, not ignored ones, so the check also holds before a commit.
mapfile -t go_files < <(git ls-files --cached --others --exclude-standard -- '*.go')
if ((${#go_files[@]})); then
	unformatted=$(gofmt -l "${go_files[@]}")
	if [[ -n "$unformatted" ]]; then
		echo "gofmt needed on:" >&2
		echo "$unformatted" >&2
		exit 1
	fi
fi

step "go vet"
go vet ./...

step "livekit-server (built once into the user cache; ~3 min the first time)"
CHATTO_LIVEKIT_SERVER_BIN=$(go run ./internal/lkserver/cmd/lkbuild)
export CHATTO_LIVEKIT_SERVER_BIN
echo "$CHATTO_LIVEKIT_SERVER_BIN"

step "web client bundle matches its source (npm ci + esbuild)"
bash scripts/web.sh --check

step "chromium for the browser tests"
bash scripts/install-chromium.sh

step "go test"
# -artifacts keeps what tests save for reviewers (the browser tests'
# screenshots) under test-output/_artifacts.
rm -rf test-output && mkdir -p test-output
go test -race -count=1 -timeout 20m -artifacts -outputdir "$PWD/test-output" ./...

step "artifacts"
find test-output -name '*.png' | sort
