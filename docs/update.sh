#!/usr/bin/env bash
# `bazel run //docs:update`: writes the generated docs/rules.md into the source tree.
set -euo pipefail
generated=$(readlink -f "$1")
: "${BUILD_WORKSPACE_DIRECTORY:?run this with bazel run //docs:update}"
cp "$generated" "$BUILD_WORKSPACE_DIRECTORY/docs/rules.md"
chmod 644 "$BUILD_WORKSPACE_DIRECTORY/docs/rules.md"
echo "wrote docs/rules.md"
