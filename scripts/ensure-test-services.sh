#!/usr/bin/env bash
# Start what the end-to-end suites talk to, if it is not already up: PostgreSQL and Redis from
# Debian's packages, and the docker-compose validator. Idempotent; safe on a machine that has them running.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  echo "installing docker-compose (to validate docker-compose.yml)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null; }
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (for the dashboard's browser tests)"
  # Retried after an update when the package lists are missing or stale (a fresh container).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi

# The real coding-agent CLIs (Claude Code, Codex), pinned in test/agents/package.json and kept out
# of the root install: together they are ~650 MB.
if ! test/agents/node_modules/.bin/claude --version 2>/dev/null | grep -q "^$(node -p 'require("./test/agents/package.json").dependencies["@anthropic-ai/claude-code"]')" \
  || ! test/agents/node_modules/.bin/codex --version 2>/dev/null | grep -q "$(node -p 'require("./test/agents/package.json").dependencies["@openai/codex"]')$"; then
  echo "installing the coding-agent CLIs (npm ci --prefix test/agents)"
  npm ci --prefix test/agents --no-audit --no-fund >/dev/null
fi
