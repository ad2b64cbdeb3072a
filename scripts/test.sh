#!/usr/bin/env bash
# The whole test suite, from a fresh clone: `npm install && npm test`.
# Starts the local services the suites need when they are not running, then runs the unit specs
# and the database and end-to-end suites once against SQLite and once against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-services.sh

echo "── build"
npm run --silent build

echo "── lint and format"
npx eslint .
npx prettier --check . >/dev/null

echo "── unit"
npx jest --selectProjects unit --silent

echo "── database and end-to-end on SQLite"
TOLLGATE_TEST_DB=sqlite npx jest --selectProjects database e2e --runInBand

echo "── database and end-to-end on PostgreSQL"
TOLLGATE_TEST_DB=postgres npx jest --selectProjects database e2e --runInBand
