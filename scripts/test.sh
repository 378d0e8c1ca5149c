#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs every check: types,
# ESLint and Prettier, ShellCheck over the scripts, unit tests (Pulumi mocks), and the integration
# tests (real Pulumi engine against the sandbox host). Nothing is skipped.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

bash scripts/setup.sh

echo "== typecheck"
npx tsc --noEmit -p .

echo "== lint and format (ESLint, Prettier)"
npx eslint .
npx prettier --check .

echo "== shellcheck"
shellcheck templates/*.sh scripts/*.sh benchmark/*.sh

echo "== unit tests"
unit=0
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" || unit=$?

echo "== integration tests (real Pulumi engine, sandbox host)"
integration=0
npx vitest run --project integration --reporter=default --reporter=json --outputFile="$results/integration.json" || integration=$?

# One closing line that any CI can read; exits non-zero unless all passed.
npx tsx tests/support/testSummary.ts "$results/unit.json:$unit" "$results/integration.json:$integration"
