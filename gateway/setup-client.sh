#!/usr/bin/env bash
# Onboards a client on a running Tollgate gateway: a team named after the client (with a monthly
# budget when one is given) and a virtual key in it. The key is printed on stdout (only the key, so
# `KEY=$(gateway/setup-client.sh acme 50)` works) and saved to client-keys/<client>.key (mode 600).
#
#   gateway/setup-client.sh <client> [monthly_budget_usd]
#
# Environment: TOLLGATE_URL (default http://localhost:4000); LITELLM_MASTER_KEY, else read from
# ./.env or gateway/.env. Needs bash and curl only (no jq): answers are parsed with sed.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: gateway/setup-client.sh <client> [monthly_budget_usd]

  Creates (or reuses) the team <client> and generates a key for it.
  <client>              letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit
  monthly_budget_usd    optional hard budget per calendar month in USD, e.g. 50 or 12.5

  TOLLGATE_URL          gateway address (default http://localhost:4000)
  LITELLM_MASTER_KEY    master key (else read from ./.env or gateway/.env)
EOF
  exit 2
}

fail() {
  echo "setup-client: $*" >&2
  exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
client=$1
budget=${2:-}
[ -n "$client" ] || usage
# The name becomes a team id, part of a key alias and a file name: no slashes, quotes or spaces.
[[ $client =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||
  fail "invalid client name '$client': use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit"
if [ -n "$budget" ] || [ $# -eq 2 ]; then
  # Also a valid JSON number: no leading zeros, no exponent.
  [[ $budget =~ ^(0|[1-9][0-9]*)(\.[0-9]+)?$ ]] && [[ ! $budget =~ ^0(\.0+)?$ ]] ||
    fail "invalid monthly budget '$budget': give a positive amount in USD, e.g. 50 or 12.5"
fi

command -v curl >/dev/null 2>&1 || fail "curl is required"

base_url=${TOLLGATE_URL:-http://localhost:4000}
base_url=${base_url%/}

# Reads KEY=value from a dotenv file without executing it (quotes and `export ` stripped).
dotenv_value() {
  local name=$1 file=$2
  [ -f "$file" ] || return 1
  sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=[[:space:]]*//p" "$file" | tail -n 1 |
    sed -E 's/[[:space:]]+$//; s/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/'
}

master_key=${LITELLM_MASTER_KEY:-}
if [ -z "$master_key" ]; then
  script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  for file in ./.env ./gateway/.env "$script_dir/.env"; do
    master_key=$(dotenv_value LITELLM_MASTER_KEY "$file" || true)
    [ -n "$master_key" ] && break
  done
fi
[ -n "$master_key" ] || fail "LITELLM_MASTER_KEY is not set (environment, ./.env or gateway/.env)"

response_file=$(mktemp)
trap 'rm -f "$response_file"' EXIT

# curl's config syntax: backslashes and double quotes escaped inside a quoted value.
config_key=${master_key//\\/\\\\}
config_key=${config_key//\"/\\\"}

# POST a JSON body to the admin API; sets $status and leaves the answer in $response_file.
# The master key goes to curl through stdin (--config -), so it never shows in `ps`.
post() {
  local path=$1 body=$2
  if ! status=$(printf 'header = "Authorization: Bearer %s"\n' "$config_key" |
    curl --silent --config - --max-time 30 --connect-timeout 5 \
      --header 'Content-Type: application/json' --data "$body" \
      --output "$response_file" --write-out '%{http_code}' "$base_url$path" 2>/dev/null); then
    fail "gateway not reachable at $base_url"
  fi
  case $status in
    401 | 403) fail "master key rejected by the gateway at $base_url (HTTP $status)" ;;
    000) fail "gateway not reachable at $base_url" ;;
  esac
}

# A string field of the last answer (the last one if repeated; the values we read hold no escaped quotes).
field() {
  sed -n -E "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\".*/\1/p" "$response_file" | head -n 1
}

gateway_error() {
  local message
  message=$(field message)
  fail "$1 failed (HTTP $status): ${message:-$(head -c 300 "$response_file")}"
}

if [ -n "$budget" ]; then
  team_body="{\"team_id\":\"$client\",\"team_alias\":\"$client\",\"max_budget\":$budget,\"budget_duration\":\"1mo\"}"
else
  team_body="{\"team_id\":\"$client\",\"team_alias\":\"$client\"}"
fi
post /team/new "$team_body"
if [ "$status" = 200 ]; then
  if [ -n "$budget" ]; then
    echo "created team $client with a budget of \$$budget per month" >&2
  else
    echo "created team $client (no budget limit)" >&2
  fi
elif [ "$status" = 400 ] && [ "$(field code)" = team_exists ]; then
  # Reused as it is: an existing team's budget is changed deliberately, with /team/update.
  echo "team $client already exists; reusing it${budget:+ (its budget is left unchanged; use /team/update to change it)}" >&2
else
  gateway_error "creating team $client"
fi

# Aliases are unique; a second run within the same second gets a numbered suffix.
stamp="$client-key-$(date -u +%Y%m%dT%H%M%SZ)"
key_alias=$stamp
for attempt in 2 3 4 5 6; do
  post /key/generate "{\"team_id\":\"$client\",\"key_alias\":\"$key_alias\"}"
  [ "$status" = 400 ] && [ "$(field code)" = key_alias_exists ] || break
  key_alias="$stamp-$attempt"
done
[ "$status" = 200 ] || gateway_error "generating a key for $client"
key=$(field key)
[[ $key == sk-* ]] || fail "the gateway's answer to /key/generate holds no key"

# Owner-only from the first byte: umask before creating, chmod in case the file already existed.
umask 077
key_file="client-keys/$client.key"
if [ -e "$key_file" ]; then
  echo "replacing $key_file (the key it held stays valid until deleted with /key/delete)" >&2
fi
if ! { mkdir -p client-keys && printf '%s\n' "$key" >"$key_file" && chmod 600 "$key_file"; } 2>/dev/null; then
  # The key exists on the gateway now; do not lose it.
  printf '%s\n' "$key"
  fail "key $key_alias created but could not be saved to $key_file; it is printed above"
fi

echo "key $key_alias saved to $key_file" >&2

# Subscription tools (Claude Code on Pro/Max, Codex on a ChatGPT plan) bypass the gateway; their
# OpenTelemetry export attributes the usage to this client. On stderr: stdout stays the key alone.
cat >&2 <<EOF

Claude Code on a subscription: report usage for $client with these environment variables
(per project, e.g. in its .envrc, so each working directory names its own client):
  export CLAUDE_CODE_ENABLE_TELEMETRY=1
  export OTEL_METRICS_EXPORTER=otlp
  export OTEL_LOGS_EXPORTER=otlp
  export OTEL_EXPORTER_OTLP_PROTOCOL=http/json
  export OTEL_EXPORTER_OTLP_ENDPOINT=$base_url/otlp
  export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $key"
  export OTEL_RESOURCE_ATTRIBUTES="tollgate.client=$client"

Codex on a ChatGPT plan: add to \$CODEX_HOME/config.toml (default ~/.codex/config.toml):
  [otel]
  exporter = { otlp-http = { endpoint = "$base_url/otlp/v1/logs", protocol = "json", headers = { "authorization" = "Bearer $key" } } }
EOF
printf '%s\n' "$key"
