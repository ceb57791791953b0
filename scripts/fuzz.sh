#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer (cargo fuzz): each target runs for
# SECONDS (default 600), seeded with the test fixtures, and prints its
# figures (executions, coverage). A crash leaves its input in
# fuzz/artifacts/TARGET/: minimize it with `cargo fuzz tmin TARGET FILE`
# and make it a regression test.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: mbox formats dates)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mbox formats dates)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo fuzz needs nightly flags (-Zsanitizer); the stable compiler takes
# them when told it is bootstrapping.
export RUSTC_BOOTSTRAP=1

seed() {
  local target=$1 dir=fuzz/seeds/$1
  rm -rf "$dir" && mkdir -p "$dir"
  case $target in
    mbox) cp tests/fixtures/*.mbox tests/fixtures/broken/*.mbox "$dir"/ ;;
    formats) find tests/fixtures -type f ! -name '*.expect' -size -200k -exec cp --backup=numbered {} "$dir"/ \; ;;
    dates) grep -ah '^Date:' tests/fixtures/*.mbox tests/fixtures/broken/*.mbox \
             | sed 's/^Date: *//' | split -l 1 - "$dir"/date- ;;
  esac
}

for target in "${targets[@]}"; do
  seed "$target"
  mkdir -p "fuzz/corpus/$target"
  echo "== $target: ${seconds}s"
  cargo fuzz run -O "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
    2>&1 | tee "fuzz/$target.log" | grep -aE '^#[0-9]+[[:space:]]*(INITED|DONE)|stat::|ERROR|panicked' || true
  if ls "fuzz/artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "$target: crashes in fuzz/artifacts/$target/" && exit 1
  fi
done
