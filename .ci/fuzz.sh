#!/usr/bin/env bash
# Coverage-guided fuzzing of gen-agents, bounded for CI (issue 12, item 5).
#
# 1. Installs cargo-fuzz (pinned, from crates.io) into the tools cache, once.
# 2. Builds the libFuzzer targets of fuzz/ (fuzz_targets/validate.rs, render.rs) on the
#    stable toolchain: RUSTC_BOOTSTRAP=1 unlocks the -Z flags cargo-fuzz passes, and no
#    sanitizer is needed (-s none) because gen-agents has no unsafe code; panics, overflows
#    (debug assertions are on), stack overflows, timeouts and OOMs are what is caught.
# 3. Runs each target for a bounded time from the seeds (fuzz/seeds, tests/cases,
#    examples) and a corpus kept in the cache, so CI runs build on each other.
# 4. Smoke step: runs the real binary on the seeds and the newest corpus entries: exit
#    code 0, 1 or 2 only, render --out-dir leaves DIR unchanged on error, two renders
#    print the same bytes, validate and render agree.
# Any crash fails the run; its input is kept and the command to reproduce it is printed.
#
# Usage: .ci/fuzz.sh [TARGET...]       (default: validate render)
# Env:   GEN_AGENTS_FUZZ_SECONDS  seconds per target (default 60)
#        GEN_AGENTS_FUZZ_SMOKE    newest corpus entries the smoke step runs (default 40)
#        GEN_AGENTS_TOOLS         cache dir (default ~/.cache/gen-agents-tools)
#        GEN_AGENTS_FUZZ_TARGET_DIR  where the fuzz targets are built (default
#                                 $CARGO_TARGET_DIR, else in the cache, so their
#                                 dependencies survive a fresh clone)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_FUZZ_VERSION="0.13.2"
TOOLS="${GEN_AGENTS_TOOLS:-$HOME/.cache/gen-agents-tools}"
SECONDS_PER_TARGET="${GEN_AGENTS_FUZZ_SECONDS:-60}"
SMOKE="${GEN_AGENTS_FUZZ_SMOKE:-40}"
FUZZ_TARGET_DIR="${GEN_AGENTS_FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$TOOLS/fuzz-target}}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
targets=("$@")
((${#targets[@]})) || targets=(validate render)

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
start=$SECONDS

mkdir -p "$TOOLS"
exec 8>"$TOOLS/.fuzz-lock"
flock 8

# --- cargo-fuzz, pinned ------------------------------------------------------
PATH="$TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION/bin:$PATH"
if [[ ! -x "$TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION/bin/cargo-fuzz" ]]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  CARGO_TARGET_DIR="$TOOLS/.cargo-fuzz-build" cargo install --quiet --locked \
    --root "$TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
  rm -rf "$TOOLS/.cargo-fuzz-build"
fi
cargo fuzz --version >&2

# --- build ---------------------------------------------------------------------
t=$SECONDS
# 16 codegen units: the build is most of the cost on 2 cores; the targets run ~as fast.
build_args=()
((${#targets[@]} == 1)) && build_args=("${targets[0]}")
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none -O -a --codegen-units 16 \
  --target-dir "$FUZZ_TARGET_DIR" "${build_args[@]}" >&2
build_time=$((SECONDS - t))
bin_dir="$FUZZ_TARGET_DIR/$TRIPLE/release"
cargo build --quiet --locked --bin gen-agents
gen_agents="${CARGO_TARGET_DIR:-target}/debug/gen-agents"

# --- fuzz ----------------------------------------------------------------------
run="$(mktemp -d "${TMPDIR:-/tmp}/gen-agents-fuzz.XXXXXX")"
scratch="$(mktemp -d /dev/shm/gen-agents-fuzz.XXXXXX 2>/dev/null || mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  corpus="$TOOLS/fuzz-corpus/$target"
  artifacts="$run/$target"
  mkdir -p "$corpus" "$artifacts"
  t=$SECONDS
  status=0
  # The first corpus dir receives new inputs; the others are read only.
  TMPDIR="$scratch" timeout --kill-after=10 $((SECONDS_PER_TARGET + 120)) \
    "$bin_dir/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" fuzz/seeds tests/cases examples >"$run/$target.log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/$target.log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/$target.log")"
  cov="$(grep -o 'cov: [0-9]*' "$run/$target.log" | tail -1)"
  line="$target: ${execs:-?} runs (${rate:-?}/s) in $((SECONDS - t)) s, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l)"
  if ((status != 0)); then
    failed+=("$target")
    summary+=("FAIL $line (exit $status)")
    log "$target failed; the end of its log ($run/$target.log):"
    grep -v '^#[0-9]' "$run/$target.log" | tail -40 >&2
    for crash in "$artifacts"/*; do
      [[ -e "$crash" ]] || continue
      log "input: $crash (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -s none -O -a $target $crash)"
    done
  else
    summary+=("ok   $line")
  fi
done

# --- smoke: the real binary on the seeds and the newest corpus entries ---------
t=$SECONDS
smoke_fail=0
inputs=()
while IFS= read -r f; do inputs+=("$f"); done < <(
  find fuzz/seeds tests/cases examples -type f -name '*.y*ml'
  for target in "${targets[@]}"; do
    find "$TOOLS/fuzz-corpus/$target" -type f -printf '%T@ %p\n' | sort -rn | head -n "$SMOKE" | cut -d' ' -f2-
  done
)
pristine="$scratch/pristine"
mkdir -p "$pristine"
printf 'kept\n' >"$pristine/README.md"
printf 'previous\n' >"$pristine/values.yaml"
smoke_error() { smoke_fail=$((smoke_fail + 1)); log "smoke: $1: $2"; }
for f in "${inputs[@]}"; do
  out="$scratch/out"
  rm -rf "$out" && cp -a "$pristine" "$out"
  rc_v=0 rc_r=0 rc_a=0 rc_b=0
  "$gen_agents" validate "$f" >/dev/null 2>&1 || rc_v=$?
  "$gen_agents" render "$f" --out-dir "$out" >/dev/null 2>&1 || rc_r=$?
  "$gen_agents" render "$f" >"$scratch/a" 2>&1 || rc_a=$?
  "$gen_agents" render "$f" >"$scratch/b" 2>&1 || rc_b=$?
  for rc in "$rc_v" "$rc_r" "$rc_a" "$rc_b"; do
    ((rc <= 2)) || smoke_error "$f" "exit code $rc"
  done
  ((rc_v == rc_r && rc_r == rc_a && rc_a == rc_b)) \
    || smoke_error "$f" "exit codes differ: validate $rc_v, render --out-dir $rc_r, render $rc_a and $rc_b"
  cmp -s "$scratch/a" "$scratch/b" || smoke_error "$f" "two renders printed different bytes"
  if ((rc_r != 0)); then
    diff -r "$pristine" "$out" >/dev/null || smoke_error "$f" "render --out-dir failed (exit $rc_r) and changed DIR"
    compgen -G "$scratch/.out.*" >/dev/null && smoke_error "$f" "render --out-dir left a staging directory"
  else
    for name in values.yaml configmaps.yaml secrets.yaml README.md; do
      [[ -f "$out/$name" ]] || smoke_error "$f" "render --out-dir succeeded without $name"
    done
  fi
done
summary+=("$( ((smoke_fail)) && echo FAIL || echo 'ok  ') smoke: ${#inputs[@]} inputs x 4 runs of the binary in $((SECONDS - t)) s, $smoke_fail problem(s)")
((smoke_fail == 0)) || failed+=(smoke)

log "summary (build $build_time s, total $((SECONDS - start)) s):"
for s in "${summary[@]}"; do log "  $s"; done
if ((${#failed[@]})); then
  log "FAILED: ${failed[*]}; crash inputs and logs in $run. Add each as a tests/cases entry."
  exit 1
fi
rm -rf "$run"
