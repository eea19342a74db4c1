#!/usr/bin/env bash
# Agent clients whose own code checks the hook files deploystate installs
# (tests/hooks/test_clients_installed.py): the Gemini CLI package from npm, unpacked once into a cache
# directory. Idempotent and quiet; about 20 MB, downloaded only when the pinned version is missing.
set -euo pipefail
dir="${DEPLOYSTATE_CLIENTS_DIR:-/tmp/deploystate-agent-clients}"
GEMINI_VERSION="0.61.0"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
want="$dir/gemini-cli-$GEMINI_VERSION/package/package.json"
[ -f "$want" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q --silent "@google/gemini-cli@$GEMINI_VERSION" >/dev/null && mkdir x && tar xzf ./*.tgz -C x)
rm -rf "$dir/gemini-cli-$GEMINI_VERSION"
mv "$tmp/x" "$dir/gemini-cli-$GEMINI_VERSION"
