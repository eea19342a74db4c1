#!/usr/bin/env bash
# The official MCP Inspector CLI (npm), the strict TypeScript-SDK client tests/server/test_mcp_inspector.py drives.
# Installed into a cache dir (idempotent: nothing is fetched when the pinned version is already there).
set -euo pipefail
version="${DEPLOYSTATE_INSPECTOR_VERSION:-2.12.0}"
dir="${DEPLOYSTATE_INSPECTOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deploystate/mcp-inspector}"
pkg="$dir/node_modules/@modelcontextprotocol/inspector/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; then
  exit 0
fi
command -v npm >/dev/null || { echo "ci: npm is missing (apt-get install -y nodejs npm)" >&2; exit 1; }
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --silent --loglevel=error \
  "@modelcontextprotocol/inspector@$version" >/dev/null
echo "ci: MCP Inspector $version in $dir"
