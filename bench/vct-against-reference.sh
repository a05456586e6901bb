#!/usr/bin/env bash
# ./vct bench vct --against-reference: the engine's VCT stages timed beside the official VCT code
# (../shared/reference), same model, photos and schedule, one right after the other; prints the
# medians of both and the ratio ours/official per stage. See docs/bench-vct.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$(cd "${VCT_SHARED:-$ROOT/../shared}" 2>/dev/null && pwd)" || SHARED="${VCT_SHARED:-$ROOT/../shared}"
REFERENCE="$SHARED/reference"
FIXTURES="$SHARED/fixtures/oracle"
ORACLE_WORK="${ORACLE_WORK:-/tmp/oracle}"
PYTHON=/usr/bin/python3 # the reference runs on Debian's Python; this script's tables too

usage() {
  cat <<'USAGE'
usage: ./vct bench vct --against-reference [--schedules S1,S2] [--reps N] [--threads 1,default]
                                          [--out DIR]

  For each schedule and each thread setting: runs the engine's `./vct bench vct` N times (one
  process each, after one untimed S1-sized warm-up in that process), then the official VCT code
  (../shared/reference/bench_reference.py vct, always 1 thread, one S1 warm-up run, N runs in one
  process) right after, on the same tiny pipeline (../shared/fixtures/oracle/vct_model), the same
  two photos at 64 px, the same seed and the same schedule. Prints one table of medians: concept inversion,
  content inversion, fusion and the whole run, official and ours, and the ratio ours/official;
  with the machine, the load average at the start and the end, and the git commit.

  --schedules LIST  S1 (10 DDIM steps, 3 inner steps, 3 concept steps x 4; the fixtures') and/or
                    S2 (50 DDIM steps, 10 inner steps, 25 concept steps x 4) (default S1,S2)
  --reps N          runs of each side per schedule and thread setting (default 3)
  --threads LIST    the engine's thread settings: a count (VCT_ENGINE_THREADS=N) or `default`
                    (what ./vct ships: the engine's thread rule, no thread variable set)
                    (default 1,default)
  --out DIR         keep every run's JSON and log in DIR (default: a new temporary folder)

  Needs the reference set up once (../shared/reference/README.md); ORACLE_WORK names its folder
  (default /tmp/oracle). Exits 3 when it is not set up. Run it on an otherwise idle machine.
USAGE
}

fail() {
  echo "vct bench vct --against-reference: $1" >&2
  exit 2
}

schedules="S1,S2"
reps=3
threads="1,default"
out=""
while (($#)); do
  case "$1" in
    --schedules | --reps | --threads | --out)
      (($# >= 2)) || fail "option '$1' needs a value (see --help)"
      case "$1" in
        --schedules) schedules="$2" ;;
        --reps) reps="$2" ;;
        --threads) threads="$2" ;;
        --out) out="$2" ;;
      esac
      shift 2
      ;;
    --schedules=* | --reps=* | --threads=* | --out=*)
      value="${1#*=}"
      case "$1" in
        --schedules=*) schedules="$value" ;;
        --reps=*) reps="$value" ;;
        --threads=*) threads="$value" ;;
        --out=*) out="$value" ;;
      esac
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) fail "unknown option '$1' (see --help)" ;;
  esac
done

IFS=, read -r -a schedule_list <<<"$schedules"
IFS=, read -r -a thread_list <<<"$threads"
((${#schedule_list[@]})) || fail "--schedules is empty (use S1, S2 or S1,S2)"
((${#thread_list[@]})) || fail "--threads is empty (use counts and/or default, e.g. 1,default)"
for s in "${schedule_list[@]}"; do
  [[ "$s" == S1 || "$s" == S2 ]] || fail "unknown schedule '$s' (use S1, S2 or S1,S2)"
done
for t in "${thread_list[@]}"; do
  [[ "$t" == default || "$t" =~ ^[1-9][0-9]*$ ]] \
    || fail "bad thread setting '$t' (use a positive count or 'default', e.g. 1,default)"
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || fail "--reps needs a positive integer, got '$reps'"

# The reference must be set up (README there); say how when it is not.
missing=""
[[ -f "$REFERENCE/bench_reference.py" && -f "$REFERENCE/run_gen.sh" ]] \
  || missing="the official code's runner ($REFERENCE/bench_reference.py) is absent"
if [[ -z "$missing" ]]; then
  for d in env.sh src/vct src/diffusers-0.10.1/src src/accelerate-0.15.0/src src/transformers_src; do
    [[ -e "$ORACLE_WORK/$d" ]] || { missing="$ORACLE_WORK/$d is missing"; break; }
  done
fi
if [[ -z "$missing" ]] && ! "$PYTHON" -c 'import torch, skimage, scipy' >/dev/null 2>&1; then
  missing="Debian's $PYTHON cannot import torch, skimage and scipy (Debian packages not installed)"
fi
for f in vct_model/model_index.json vct_ddim_inversion/source.png vct_concept_inversion/concept.png; do
  [[ -n "$missing" || -e "$FIXTURES/$f" ]] || missing="the fixture $FIXTURES/$f is missing"
done
if [[ -n "$missing" ]]; then
  cat >&2 <<EOF
vct bench vct --against-reference: the official VCT code is not set up here: $missing.
Set it up once (about 5 minutes), as $REFERENCE/README.md says:
  1. apt-get install -y python3-torch python3-torchvision python3-numpy python3-pil python3-scipy \\
       python3-skimage python3-opencv python3-regex python3-requests python3-tqdm python3-filelock \\
       python3-packaging python3-yaml python3-psutil python3-wcwidth
  2. bare git mirrors of huggingface/diffusers, duyy97/transformers, huggingface/huggingface_hub,
     huggingface/accelerate, openai/CLIP, CrystalNeuro/visual-concept-translator and
     rspeer/python-ftfy in one folder as <owner>+<name>/repo
  3. MIRRORS=<that folder> ORACLE_WORK=$ORACLE_WORK bash $REFERENCE/setup.sh
then run this again (with ORACLE_WORK=<folder> if it is not /tmp/oracle).
EOF
  exit 3
fi

if [[ -z "$out" ]]; then
  out="$(mktemp -d /tmp/vct-against-reference.XXXXXX)"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

commit="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  commit="$commit (with uncommitted changes)"
fi
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
cores="$(nproc)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# Build the engine now, so that no timed run includes a build.
"$ROOT/vct" bench vct --help >/dev/null

schedule_args() {
  case "$1" in
    S1) echo "--steps 10 --inner-steps 3 --concept-steps 3" ;;
    S2) echo "--steps 50 --inner-steps 10 --concept-steps 25" ;;
  esac
}

# ours THREADS SCHEDULE REP: one ./vct bench vct process; its JSON goes to $out.
ours() {
  local t="$1" s="$2" rep="$3" name="ours-$2-threads-$1-run-$3"
  local -a environment=(env -u VCT_ENGINE_THREADS -u VCT_ENGINE_CORES -u VCT_JAVA_OPTS
    -u OMP_NUM_THREADS -u OMP_WAIT_POLICY)
  if [[ "$t" != default ]]; then
    environment+=("VCT_ENGINE_THREADS=$t")
  fi
  # shellcheck disable=SC2046 # the schedule's options are words
  if ! "${environment[@]}" "$ROOT/vct" bench vct --model "$FIXTURES/vct_model" --resolution 64 \
    --seed 42 $(schedule_args "$s") --warmup 1 --source "$FIXTURES/vct_ddim_inversion/source.png" \
    --reference "$FIXTURES/vct_concept_inversion/concept.png" --json "$out/$name.json" \
    >"$out/$name.log" 2>&1; then
    echo "vct bench vct --against-reference: the engine's run failed; its log: $out/$name.log" >&2
    tail -n 20 "$out/$name.log" >&2
    exit 1
  fi
  echo "  ours, $s, threads $t, run $rep: $(sed -n 's/^  total *//p' "$out/$name.log")" >&2
}

# official SCHEDULE AFTER: bench_reference.py vct, 1 thread, REPS runs after one warm-up run.
official() {
  local s="$1" name="official-$1-after-threads-$2"
  if ! ORACLE_WORK="$ORACLE_WORK" bash "$REFERENCE/run_gen.sh" 0.10.1 bench_reference.py vct \
    --schedules "$s" --reps "$reps" --warmup 1 --model-dir "$FIXTURES/vct_model" \
    --json "$out/$name.json" >"$out/$name.log" 2>&1; then
    echo "vct bench vct --against-reference: the official code's run failed; its log: $out/$name.log" >&2
    tail -n 20 "$out/$name.log" >&2
    exit 1
  fi
  echo "  official, $s, 1 thread, $reps runs: $(grep -c '^\[bench\] '"$s"' run' "$out/$name.log") done" >&2
}

echo "vct bench vct --against-reference: schedules $schedules, threads $threads, $reps runs each;" \
  "runs in $out" >&2
for s in "${schedule_list[@]}"; do
  for t in "${thread_list[@]}"; do
    for ((rep = 1; rep <= reps; rep++)); do
      ours "$t" "$s" "$rep"
    done
    official "$s" "$t"
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$out" "$schedules" "$threads" "$reps" "$cpu" "$cores" "$load_start" "$load_end" \
  "$commit" <<'PY'
import json, os, statistics, sys

out, schedules, threads, reps, cpu, cores, load_start, load_end, commit = sys.argv[1:]
reps = int(reps)


def official_stages(run):
    """The official code's stages, cut to what the engine's stages cover (model loads excluded)."""
    wall = lambda k: run["stats"].get(k, {}).get("wall", 0.0)
    return {
        "concept inversion": wall("concept_loop"),
        "content inversion": wall("vae_encode") + wall("ddim_inversion") + wall("content_inversion"),
        "fusion": wall("controller") + wall("fusion"),
        "whole run": run["total_wall"],
    }


def our_stages(report):
    st = report["stages"]
    return {
        "concept inversion": st["concept-inversion"]["seconds"],
        "content inversion": st["content-inversion"]["seconds"],
        "fusion": st["fusion"]["seconds"],
        "whole run": st["total"]["seconds"],
    }


rows, notes = [], []
for s in schedules.split(","):
    for t in threads.split(","):
        ours = [json.load(open(os.path.join(out, "ours-%s-threads-%s-run-%d.json" % (s, t, r))))
                for r in range(1, reps + 1)]
        ref = json.load(open(os.path.join(out, "official-%s-after-threads-%s.json" % (s, t))))
        runs = ref["schedules"][s]["runs"]
        if not all(r["finite"] for r in runs):
            notes.append("WARNING: an official %s run produced non-finite values" % s)
        o = [official_stages(r) for r in runs]
        e = [our_stages(r) for r in ours]
        used = sorted({r["torch_threads"] for r in ours})
        label = "%s (%s)" % (t, "/".join(map(str, used))) if t == "default" else t
        if t == "default":
            notes.append("%s, ours at the default settings: %s" % (
                s, "; ".join(sorted({r.get("torch_threads_reason", "?") for r in ours}))))
        for stage in ["concept inversion", "content inversion", "fusion", "whole run"]:
            om = statistics.median(x[stage] for x in o)
            em = statistics.median(x[stage] for x in e)
            rows.append((s, label, stage, om, em, em / om))
        notes.append("%s, ours at threads %s: content inversion ran %s inner iterations (ours) and %s "
                     "(official) of %d" % (s, label, "/".join(str(r["inner_iterations"]) for r in ours),
                                           "/".join(str(r["inner_iterations"]) for r in runs),
                                           runs[0]["inner_max"]))

print()
print("## ./vct bench vct --against-reference: medians of %d runs, 64 px, vct_model" % reps)
print()
print("machine: %s, %s cores; load average (1/5/15 min) at start %s, at end %s" % (cpu, cores, load_start,
                                                                                 load_end))
print("commit: %s" % commit)
print()
print("| schedule | ours: torch threads | stage | official, 1 thread (s) | ours (s) | ours / official |")
print("| --- | --- | --- | ---: | ---: | ---: |")
for s, label, stage, om, em, ratio in rows:
    print("| %s | %s | %s | %.2f | %.2f | %.2f |" % (s, label, stage, om, em, ratio))
print()
print("Official stages as measured by bench_reference.py: concept inversion = its training loop (first VAE")
print("encode to save_progress; the pipeline load is left out, as ours is in 'load models'); content")
print("inversion = VAE encode + DDIM inversion + null-text optimisation; fusion = make_controller +")
print("backward_diffusion_ptp; whole run = run_stage1 + run_stage2, loads included (ours: load, stages,")
print("decode, in one JVM). Both sides ran one untimed S1-sized warm-up first in the same process.")
print("'default (N)' = the engine's default settings, which used N torch threads.")
for n in notes:
    print(n)
print("runs (JSON and logs): %s" % out)
PY
