#!/usr/bin/env bash
# Agent clients whose own code checks the hook files deploystate installs
# (tests/hooks/test_clients_installed.py, test_claude_code_session.py): the Gemini CLI package and
# Claude Code from npm, into a cache directory. Idempotent and quiet; each is downloaded only when its
# pinned version is missing (about 20 MB and 400 MB unpacked).
set -euo pipefail
dir="${DEPLOYSTATE_CLIENTS_DIR:-/tmp/deploystate-agent-clients}"
GEMINI_VERSION="0.61.0"
CLAUDE_VERSION="2.1.332"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$dir/gemini-cli-$GEMINI_VERSION/package/package.json" ]; then
  (cd "$tmp" && npm pack -q --silent "@google/gemini-cli@$GEMINI_VERSION" >/dev/null && mkdir x && tar xzf ./*.tgz -C x)
  rm -rf "$dir/gemini-cli-$GEMINI_VERSION"
  mv "$tmp/x" "$dir/gemini-cli-$GEMINI_VERSION"
fi

claude="$dir/claude-code-$CLAUDE_VERSION"
if ! "$claude/node_modules/.bin/claude" --version >/dev/null 2>&1; then
  rm -rf "$claude"
  npm install -q --silent --no-audit --no-fund --prefix "$tmp/cc" "@anthropic-ai/claude-code@$CLAUDE_VERSION" >/dev/null
  mv "$tmp/cc" "$claude"
fi
