#!/usr/bin/env bash
# Regenerates docs/gallery, the README's screenshots, from the browser
# tests' own screenshots (go test -artifacts): the same pages the tests
# check at 1280×800 and 390×844, with the real server, LiveKit and
# Chromium's fake camera. Needs what scripts/test.sh installs.
#
#   bash scripts/gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tests='TestEveryScreenMeetsWCAGContrast|TestGroupCallFitsTheScreenWithMenusAndPanels|TestOneToOneCallShowsTheOtherPersonAndASmallSelfView'
tests+='|TestVoiceCallShowsAvatarTiles|TestListenerSeesNoDeadControls|TestSharedScreenIsEncryptedAndTakesTheSpotlight'
tests+='|TestAPageThatLosesItsNetworkShowsReconnectingAndRecovers|TestPrejoinPreviewsCameraAndMicrophoneAndCancelLeavesNoCall'
go test -count=1 -timeout 20m -artifacts -outputdir "$out" -run "^($tests)\$" ./internal/web/browsertest/

# name in the tests' artifacts -> name in docs/gallery
shots=(
	screen-ringing-desktop:ringing-desktop screen-ringing-phone:ringing-phone
	screen-incoming-desktop:incoming-desktop screen-incoming-phone:incoming-phone
	one-to-one-desktop-bob:one-to-one-desktop one-to-one-phone-bob:one-to-one-phone
	prejoin-desktop:prejoin-desktop prejoin-phone:prejoin-phone
	group-desktop:group-desktop group-phone:group-phone
	panels-desktop:panels-desktop chat-390:chat-phone
	voice-desktop:voice-desktop voice-phone:voice-phone
	listener-desktop:listener-desktop listener-phone:listener-phone
	screen-share:screen-share-desktop screen-share-phone:screen-share-phone
	reconnecting-desktop:reconnecting-desktop reconnecting-phone:reconnecting-phone
	screen-hung-up-desktop:ended-desktop screen-hung-up-phone:ended-phone
)
rm -rf docs/gallery
mkdir -p docs/gallery
for pair in "${shots[@]}"; do
	from=${pair%%:*} to=${pair##*:}
	f=$(find "$out/_artifacts" -name "$from.png" | head -n 1)
	if [[ -z $f ]]; then
		echo "gallery: no screenshot $from.png from the tests" >&2
		exit 1
	fi
	cp "$f" "docs/gallery/$to.png"
done
ls -l docs/gallery
