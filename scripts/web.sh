#!/usr/bin/env bash
# Builds the web client (internal/web/client) into internal/web/static,
# which is committed and embedded in the binary with go:embed.
#
#   bash scripts/web.sh           rebuild the bundle in place
#   bash scripts/web.sh --check   rebuild into a temp dir and fail if the
#                                 committed bundle differs (CI runs this)
#
# Needs node and npm; versions are pinned in package.json and
# package-lock.json, and `npm ci` installs exactly those.
set -euo pipefail
cd "$(dirname "$0")/.."

client=internal/web/client
static=internal/web/static
# The browser join benchmark's floor page (a plain livekit-client page).
floor=internal/web/browsertest/testdata/floor

check=false
case "${1:-}" in
	"") ;;
	--check) check=true ;;
	*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

(cd "$client" && npm ci --no-audit --no-fund --loglevel=error)

if ! $check; then
	node "$client/build.mjs" "$static" "$floor"
	echo "built $static and $floor:"
	ls -l "$static" "$floor"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node "$client/build.mjs" "$tmp/static" "$tmp/floor"
if ! diff -r "$tmp/static" "$static" >"$tmp/diff" 2>&1 || ! diff -r "$tmp/floor" "$floor" >>"$tmp/diff" 2>&1; then
	echo "internal/web/static or $floor is out of date with internal/web/client:" >&2
	head -c 4000 "$tmp/diff" >&2 || true
	echo >&2
	echo "run: bash scripts/web.sh   (and commit internal/web/static and $floor)" >&2
	exit 1
fi
echo "internal/web/static and $floor match a fresh build of internal/web/client"
