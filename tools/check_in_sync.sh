#!/usr/bin/env bash
# Run nbdev-clean and nbdev-export and fail if either changed a file git tracks (or left a new one in pamoe/).
set -euo pipefail
snapshot() { git status --porcelain=v1 --untracked-files=all -- nbs pamoe; git diff -- nbs pamoe | sha256sum; }
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: running nbdev-clean and nbdev-export without the check"; nbdev-clean; nbdev-export; exit 0
fi
before=$(snapshot)
nbdev-clean
nbdev-export
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "nbdev-clean / nbdev-export changed the tree: notebooks were not clean or pamoe/ is out of step with nbs/." >&2
  git status --short -- nbs pamoe >&2
  exit 1
fi
echo "nbdev-clean and nbdev-export: tree unchanged"
