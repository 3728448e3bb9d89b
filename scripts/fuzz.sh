#!/usr/bin/env bash
# Runs every fuzz target (cargo-fuzz, libFuzzer with AddressSanitizer) for SECONDS each
# (default 600), one per core at a time, starting from the seed corpora in fuzz/corpus/ with the
# dictionaries in fuzz/dict/. New inputs collect in target/fuzz-corpus/ (not committed); a crash
# stops its target, leaves its input in fuzz/artifacts/<target>/, and fails the script. Once
# fixed, a crash's input moves to fuzz/regressions/<target>/, which `cargo test` replays
# (crates/twilio-token/tests/fuzz_regressions.rs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz if it is missing. Builds with the stable toolchain (RUSTC_BOOTSTRAP lets
# it take the sanitizer flags), so no nightly is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode spec config jwks token_request)

command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz
export RUSTC_BOOTSTRAP=1
if [ $# -eq 0 ]; then
    cargo fuzz build --release # every target in one build, linked side by side
else
    for target in "${targets[@]}"; do cargo fuzz build --release "$target"; done
fi

# Each target runs on a core of its own, as many at once as there are cores.
fuzz() {
    local target=$1 corpus=target/fuzz-corpus/$1
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    cargo fuzz run --release "$target" "$corpus" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -dict="fuzz/dict/$target.dict" -timeout=10 \
        -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
        grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|Test unit written|thread .* panicked|artifact_prefix)" || true
}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
cores=$(nproc)
for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$cores" ]; do wait -n || true; done
    fuzz "$target" >"$logs/$target" &
done
wait
failed=0
for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s"
    cat "$logs/$target"
    # cargo fuzz exits non-zero on a crash, but the pipe above hides it: look for artifacts.
    if ls "fuzz/artifacts/$target" | grep -qE '^(crash|leak|timeout|oom)-'; then
        echo "fuzz $target: FAILED, inputs in fuzz/artifacts/$target/" >&2
        failed=1
    fi
done
[ "$failed" = 0 ] || exit 1
echo "fuzz: every target ran ${seconds}s without a crash"
