#!/usr/bin/env bash
# ./vct bench up: how long `./vct up` takes for one job, submit to succeeded.
#
# Starts `./vct up` of a checkout (this one unless --checkout says otherwise) in a fresh data
# folder with a free gateway port (every other port of ./vct up is free-picked already), waits for
# its `ready:` line, then submits through the gateway, one after the other, a job with the quick
# knobs and a job with the default knobs, both at 64 px on the tiny model (unless --model), and
# times each from the submission's answer to `succeeded`. Prints each job's time, the job's own
# created-to-finished time and every stage's duration from GET, then stops everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<'USAGE'
usage: ./vct bench up [--checkout DIR] [--repeat N] [--jobs quick,default] [--model DIR]
                      [--max-wait N] [--keep]

  --checkout DIR  run DIR's ./vct up (another worktree, e.g. an older commit) instead of this
                  one's; DIR's ./vct builds what it lacks before `ready:` (not timed)
  --repeat N      run each job N times, one after the other, and print every time and the
                  median (default 1; the first job of a stack also warms the JIT up)
  --jobs LIST     which jobs, in this order (default quick,default):
                    quick    {"concept_steps":4,"ddim_steps":4,"content_inner_steps":2,"resolution":64}
                    default  {"resolution":64}  (500 concept steps, 50 DDIM steps, 50 inner)
  --model DIR     a Stable Diffusion 1.x checkpoint (default: DIR's tiny random model)
  --max-wait N    give up on a job after N seconds (default 3600)
  --keep          keep the temporary folder (logs, data) instead of deleting it

Run it on an idle machine and note the load average (`uptime`) beside the numbers.
USAGE
}

checkout="$ROOT"
repeat=1
job_list="quick,default"
max_wait=3600
keep=false
up_args=()
while (($#)); do
  case "$1" in
    --checkout) checkout="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --jobs) job_list="$2"; shift 2 ;;
    --model) up_args+=(--model "$(cd "$2" && pwd)"); shift 2 ;;
    --max-wait) max_wait="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "vct bench up: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
fail() { echo "vct bench up: $*" >&2; exit 2; }
checkout="$(cd "$checkout" 2>/dev/null && pwd)" || fail "--checkout: no such folder"
[[ -x "$checkout/vct" ]] || fail "--checkout $checkout has no ./vct (give the root of a checkout)"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || fail "--repeat must be a whole number >= 1"
[[ "$max_wait" =~ ^[1-9][0-9]*$ ]] || fail "--max-wait must be a number of seconds >= 1"
declare -A knobs=(
  [quick]='{"concept_steps":4,"ddim_steps":4,"content_inner_steps":2,"resolution":64}'
  [default]='{"resolution":64}'
)
IFS=, read -r -a jobs <<<"$job_list"
((${#jobs[@]})) || fail "--jobs needs at least one of quick, default"
for job in "${jobs[@]}"; do
  [[ -n "${knobs[$job]:-}" ]] || fail "--jobs: unknown job '$job' (use quick, default)"
done
for tool in curl jq; do
  command -v "$tool" >/dev/null || fail "needs $tool on the PATH"
done

work="$(mktemp -d /tmp/vct-bench-up-XXXXXX)"
up_log="$work/up.log"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)"
key="bench-up-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
commit="$(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$checkout" status --porcelain --untracked-files=no 2>/dev/null | head -c1)"
echo "bench up: $checkout at $commit${dirty:+ (with uncommitted changes)}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench up: starting its ./vct up on port $port (data and logs in $work)"
VCT_DATA_DIR="$work/data" VCT_BOOTSTRAP_API_KEY="$key" \
  "$checkout/vct" up --port "$port" "${up_args[@]}" >"$up_log" 2>&1 &
up_pid=$!
stop_up() {
  if kill -0 "$up_pid" 2>/dev/null; then
    # SIGTERM: a background job ignores SIGINT, and so does the JVM it runs.
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  if [[ "$keep" == true ]]; then echo "bench up: kept $work"; else rm -rf "$work"; fi
}
trap stop_up EXIT
trap 'exit 143' TERM INT

started=$SECONDS
until grep -q '^ready: ' "$up_log"; do
  kill -0 "$up_pid" 2>/dev/null || { echo "bench up: ./vct up exited:" >&2; tail -20 "$up_log" >&2; exit 1; }
  ((SECONDS - started < 1800)) || { echo "bench up: not ready after 30 minutes:" >&2; tail -20 "$up_log" >&2; exit 1; }
  sleep 1
done
gateway="$(sed -n 's/^ready: //p' "$up_log" | head -n1)"
examples="$checkout/.vct/examples"
echo "bench up: ready at $gateway after $((SECONDS - started)) s"

now() { date +%s.%N; }
api() { curl -sS -H "Authorization: Bearer $key" "$@"; }

# tagged IN OUT TEXT: IN with a tEXt chunk before its IEND. Same pixels, other bytes, so no job
# finds its inversions in the embeddings cache of an earlier one (it is keyed by the bytes).
tagged() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys, zlib
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[-12:-8] == b"\0\0\0\0" and png[-8:-4] == b"IEND"
data = b"Comment\0bench up " + sys.argv[3].encode()
chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
open(sys.argv[2], "wb").write(png[:-12] + chunk + png[-12:])
PY
}

# run_job NAME N: submits one job, waits for its end, prints one line, appends the time to times[NAME].
declare -A times
run_job() {
  local name="$1" n="$2" answer id t0 t1 view status seconds
  tagged "$examples/source.png" "$work/source-$name-$n.png" "$name $n"
  tagged "$examples/reference.png" "$work/reference-$name-$n.png" "$name $n"
  t0="$(now)"
  answer="$(api -H "Idempotency-Key: bench-up-$$-$name-$n" -F source=@"$work/source-$name-$n.png" \
    -F reference=@"$work/reference-$name-$n.png" -F "params=${knobs[$name]}" "$gateway/v1/translations")"
  id="$(jq -r '.id // empty' <<<"$answer" 2>/dev/null || true)"
  [[ -n "$id" ]] || { echo "bench up: submission refused: $answer" >&2; exit 1; }
  while true; do
    view="$(api "$gateway/v1/translations/$id")"
    status="$(jq -r .status <<<"$view")"
    case "$status" in succeeded | failed | cancelled) break ;; esac
    if (($(date +%s) - ${t0%.*} > max_wait)); then
      echo "bench up: job $id ($name) still $status after $max_wait s" >&2
      exit 1
    fi
    sleep 0.2
  done
  t1="$(now)"
  [[ "$status" == succeeded ]] || {
    echo "bench up: job $id ($name) $status: $(jq -c .error <<<"$view")" >&2
    exit 1
  }
  if jq -e '[.stages[] | select(.status == "skipped")] | length > 0' <<<"$view" >/dev/null; then
    echo "bench up: job $id ($name) skipped a stage: $(jq -c '[.stages[] | {stage, status, skip_reason}]' <<<"$view")" >&2
    exit 1
  fi
  seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
  times[$name]+="$seconds "
  printf '%-8s #%d  %7s s submit to succeeded  (job %s s; stages: %s)\n' "$name" "$n" "$seconds" \
    "$(jq -r '.duration_ms / 1000 * 10 | round / 10' <<<"$view")" \
    "$(jq -r '[.stages[] | "\(.stage) \(if .duration_ms == null then .status else (.duration_ms / 100 | round / 10 | tostring) + " s" end)"] | join(", ")' <<<"$view")"
}

for n in $(seq 1 "$repeat"); do
  for job in "${jobs[@]}"; do
    run_job "$job" "$n"
  done
done

echo
printf '%-8s %s\n' "job" "median s (all)"
for job in "${jobs[@]}"; do
  median="$(tr ' ' '\n' <<<"${times[$job]}" | grep . | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
  printf '%-8s %s  (%s)\n' "$job" "$median" "$(xargs <<<"${times[$job]}")"
done
echo "times: from the POST's answer to the GET that first shows succeeded (polled every 0.2 s);"
echo "job: the job's own duration_ms (started to finished); stages: each stage's duration_ms."
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
