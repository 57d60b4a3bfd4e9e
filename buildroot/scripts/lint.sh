#!/bin/sh
# Lints the Buildroot external tree: shellcheck on every shell script in it
# (found by their #! line, so init scripts without .sh are included), then the
# check-package rules as a Go test (buildroot/checkpackage_test.go).
# Environment: GO (go).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-go}
cd "$repo"

scripts=$(find buildroot -type f ! -path 'buildroot/output/*' -exec sh -c '
	for f; do
		case "$(head -c 64 "$f")" in
			"#!/bin/sh"*|"#!/bin/bash"*|"#!/usr/bin/env bash"*|"#!/usr/bin/env sh"*) echo "$f" ;;
		esac
	done' lint {} + | sort)
n=$(echo "$scripts" | wc -l)
# shellcheck disable=SC2086 # one argument per script; the paths have no spaces
shellcheck --shell=sh $scripts
echo "lint: shellcheck passed on $n scripts"
"$GO" test -count=1 ./buildroot/
