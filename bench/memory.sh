#!/usr/bin/env bash
# ./vct bench memory: memory per service of the whole product on this machine.
#
# Starts `./vct up` (PostgreSQL, Kafka, S3, orchestrator, gateway, one worker per stage pool on the
# real engine; the tiny model unless --model or VCT_MODEL_PATH says otherwise) in a fresh data
# folder, then samples every process once a second from /proc (VmRSS; VmHWM is the kernel's peak)
# and every JVM's heap in use (jcmd GC.heap_info): first idle, then while a few jobs run through
# the gateway. Prints one table. Stops everything at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<'USAGE'
usage: ./vct bench memory [--jobs N] [--resolution PX] [--idle-seconds N] [--model DIR]

  --jobs N          jobs submitted together through the gateway (default 3)
  --resolution PX   the jobs' resolution (default 64; 512 is the paper's, minutes per job on CPU)
  --idle-seconds N  how long to sample the idle stack before submitting (default 20)
  --max-wait N      stop sampling after N seconds of jobs even if some still run; the table
                    then covers that much (default 3600)
  --model DIR       a Stable Diffusion 1.x checkpoint (default: the tiny random model)
USAGE
}

jobs=3
resolution=64
idle_seconds=20
max_wait=3600
up_args=()
while (($#)); do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    --resolution) resolution="$2"; shift 2 ;;
    --idle-seconds) idle_seconds="$2"; shift 2 ;;
    --max-wait) max_wait="$2"; shift 2 ;;
    --model) up_args+=(--model "$2"); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "vct bench memory: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "vct bench memory: --jobs must be a whole number >= 1" >&2; exit 2; }
[[ "$resolution" =~ ^[1-9][0-9]*$ ]] || { echo "vct bench memory: --resolution must be a number of pixels" >&2; exit 2; }

work="$(mktemp -d /tmp/vct-bench-memory-XXXXXX)"
up_log="$work/up.log"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)"
echo "bench memory: starting ./vct up (data and logs in $work)"
VCT_DATA_DIR="$work/data" "$ROOT/vct" up --port "$port" "${up_args[@]}" >"$up_log" 2>&1 &
up_pid=$!
stop_up() {
  if kill -0 "$up_pid" 2>/dev/null; then
    # SIGTERM: a background job ignores SIGINT (Ctrl-C), and so does the JVM it runs.
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
}
trap stop_up EXIT
trap 'exit 143' TERM INT

for _ in $(seq 1 900); do
  grep -q '^ready: ' "$up_log" && break
  kill -0 "$up_pid" 2>/dev/null || { echo "bench memory: ./vct up exited; see $up_log" >&2; tail -20 "$up_log" >&2; exit 1; }
  sleep 1
done
grep -q '^ready: ' "$up_log" || { echo "bench memory: not ready after 15 minutes; see $up_log" >&2; exit 1; }
gateway="$(sed -n 's/^ready: //p' "$up_log" | head -n1)"

# name pid, from the lines every server prints about itself ("<name> <address> (... pid N ...").
declare -A pids
while read -r name pid; do
  pids[$name]=$pid
done < <(grep -E '^[a-z][a-z0-9-]* .*pid [0-9]+' "$up_log" | sed -E 's/^([a-z][a-z0-9-]*) .*pid ([0-9]+).*/\1 \2/' | sort -u -k1,1)
names=($(printf '%s\n' "${!pids[@]}" | sort))

kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$2/status" 2>/dev/null || true; }
heap_kib() {
  jcmd "$1" GC.heap_info 2>/dev/null \
    | awk '/total [0-9]+K, used [0-9]+K/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); s += v } } END { if (s) print s }'
}
# PostgreSQL is many processes: proportional set size of the postmaster and its backends together.
pss_tree_kib() {
  local all=("$1" $(pgrep -P "$1" || true)) total=0 p v
  for p in "${all[@]}"; do
    v="$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)"
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

declare -A idle_rss idle_heap busy_rss busy_heap
sample() { # phase
  local name pid rss heap
  for name in "${names[@]}"; do
    pid="${pids[$name]}"
    if [[ "$name" == postgres ]]; then rss="$(pss_tree_kib "$pid")"; else rss="$(kib VmRSS "$pid")"; fi
    heap=""
    [[ "$name" != postgres ]] && heap="$(heap_kib "$pid")"
    if [[ "$1" == idle ]]; then
      idle_rss[$name]="${rss:-0}"; idle_heap[$name]="${heap:-}"
    else
      ((${rss:-0} > ${busy_rss[$name]:-0})) && busy_rss[$name]="$rss"
      [[ -n "$heap" ]] && ((heap > ${busy_heap[$name]:-0})) && busy_heap[$name]="$heap"
    fi
  done
  return 0
}

echo "bench memory: ready at $gateway; idle for $idle_seconds s"
sleep "$idle_seconds"
sample idle

key="${VCT_BOOTSTRAP_API_KEY:-$(cat "$ROOT/.vct/api-key")}"
params="{\"concept_steps\":4,\"ddim_steps\":4,\"content_inner_steps\":2,\"resolution\":$resolution}"
ids=()
for i in $(seq 1 "$jobs"); do
  answer="$(curl -s -H "Authorization: Bearer $key" -H "Idempotency-Key: bench-memory-$$-$i" \
    -F source=@"$ROOT/.vct/examples/source.png" -F reference=@"$ROOT/.vct/examples/reference.png" \
    -F "params=$params" "$gateway/v1/translations")"
  id="$(sed -nE 's/.*"id" *: *"([^"]+)".*/\1/p' <<<"$answer")"
  [[ -n "$id" ]] || { echo "bench memory: submission refused: $answer" >&2; exit 1; }
  ids+=("$id")
done
echo "bench memory: ${#ids[@]} jobs at $resolution px submitted; sampling until they end"
begin=$SECONDS
while true; do
  sample busy
  open=0
  for id in "${ids[@]}"; do
    status="$(curl -s -H "Authorization: Bearer $key" "$gateway/v1/translations/$id" | sed -nE 's/.*"status" *: *"([a-z_]+)".*/\1/p')"
    case "$status" in succeeded | failed | cancelled) ;; *) open=$((open + 1)) ;; esac
  done
  ((open == 0)) && break
  if ((SECONDS - begin > max_wait)); then
    echo "bench memory: $open job(s) still running after $max_wait s; the busy columns cover that much"
    break
  fi
  sleep 1
done
statuses="$(for id in "${ids[@]}"; do
  curl -s -H "Authorization: Bearer $key" "$gateway/v1/translations/$id" | sed -nE 's/.*"status" *: *"([a-z_]+)".*/\1/p'
  echo
done | grep . | sort | uniq -c | xargs)"
echo "bench memory: after $((SECONDS - begin)) s the jobs are: $statuses"

mib() { [[ -n "${1:-}" ]] && awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }' || printf -- '-'; }
printf '\n%-20s %10s %10s %10s %10s %10s\n' "MiB" "idle RSS" "idle heap" "busy RSS" "busy heap" "peak RSS"
for name in "${names[@]}"; do
  pid="${pids[$name]}"
  peak="$(kib VmHWM "$pid")"
  [[ "$name" == postgres ]] && peak=""
  printf '%-20s %10s %10s %10s %10s %10s\n' "$name" "$(mib "${idle_rss[$name]}")" \
    "$(mib "${idle_heap[$name]:-}")" "$(mib "${busy_rss[$name]:-}")" "$(mib "${busy_heap[$name]:-}")" "$(mib "$peak")"
done
echo
echo "RSS: VmRSS from /proc (postgres: PSS of the postmaster and its backends); heap: used, from"
echo "jcmd GC.heap_info; busy: the highest 1 s sample while the jobs ran; peak: VmHWM at the end."
