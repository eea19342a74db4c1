#!/usr/bin/env bash
# Agent clients whose own code checks the hook files deploystate installs
# (tests/hooks/test_clients_installed.py, test_claude_code_session.py, test_codex_session.py): the
# Gemini CLI package, Claude Code and Codex from npm, into a cache directory. Idempotent and quiet;
# each is downloaded only when its pinned version is missing (about 20 s each on a warm network).
set -euo pipefail
dir="${DEPLOYSTATE_CLIENTS_DIR:-/tmp/deploystate-agent-clients}"
GEMINI_VERSION="0.61.0"
CLAUDE_VERSION="2.1.332"
CODEX_VERSION="0.171.0"
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

codex="$dir/codex-$CODEX_VERSION"
if ! "$codex/node_modules/.bin/codex" --version >/dev/null 2>&1; then
  rm -rf "$codex"
  npm install -q --silent --no-audit --no-fund --prefix "$tmp/codex" "@openai/codex@$CODEX_VERSION" >/dev/null
  mv "$tmp/codex" "$codex"
fi
