#!/usr/bin/env bash
# Runs a command and watches its memory: VmRSS and VmHWM from /proc/PID/status every 0.5 s. Prints the peak
# (VmHWM, the kernel's own high-water mark, so a spike between two samples still counts), the final RSS, the
# RSS at 25/50/75/100 % of the run, and the least-squares slope of RSS over the second half in MiB per minute:
# a bounded process shows a slope near 0 there, a creeping one keeps rising (docs/benchmarks.md, "Allocator").
# Usage: tools/rss-watch.sh [-o samples.tsv] [-i seconds] COMMAND [ARGS...]
#   e.g. flock /tmp/latentlab-build.lock nice -n 10 tools/rss-watch.sh build/bin/latentlab train-vae ...
# The command is watched as one process (its threads included), so give the program itself, not a shell
# wrapper. The report goes to stderr after the command ends; the exit status is the command's.
set -uo pipefail
samples=""
interval=0.5
while getopts "o:i:h" flag; do
  case $flag in
    o) samples=$OPTARG ;;
    i) interval=$OPTARG ;;
    *) sed -n '2,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
  echo "rss-watch.sh: error: no command given (usage: tools/rss-watch.sh [-o samples.tsv] COMMAND [ARGS...])" >&2
  exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

start=$(date +%s.%N)
"$@" &
pid=$!
# One line per sample: seconds since start, VmRSS kB, VmHWM kB, and from /proc/PID/stat the minor page faults
# and user / system CPU ticks so far (the sampler's own processes are not counted, unlike `time` around it).
# The last readable sample gives the final values.
while [ -r "/proc/$pid/status" ]; do
  line=$(awk -v t="$(date +%s.%N)" -v s="$start" '
    /^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
    FILENAME ~ /stat$/ { sub(/^.*\) /, ""); split($0, f, " "); faults = f[8]; user = f[12]; sys = f[13] }
    END { if (rss != "") printf "%.2f\t%d\t%d\t%d\t%d\t%d\n", t - s, rss, hwm, faults, user, sys }' \
    "/proc/$pid/status" "/proc/$pid/stat" 2> /dev/null)
  [ -n "$line" ] && echo "$line" >> "$log"  # a zombie has no VmRSS: the process has ended
  sleep "$interval"
done
wait "$pid"
status=$?
wall=$(awk -v s="$start" -v t="$(date +%s.%N)" 'BEGIN { printf "%.1f", t - s }')
[ -n "$samples" ] && { printf "seconds\tvmrss_kb\tvmhwm_kb\tminor_faults\tuser_ticks\tsys_ticks\n"; cat "$log"; } > "$samples"

awk -v wall="$wall" -v status="$status" -v command="$*" -v hz="$(getconf CLK_TCK)" '
  { t[NR] = $1; rss[NR] = $2 / 1024; if ($3 / 1024 > peak) peak = $3 / 1024; faults = $4; user = $5; sys = $6 }
  # The sample nearest to fraction f of the last sample time.
  function at(f,   i, best) {
    best = 1
    for (i = 1; i <= NR; i++) if ((t[i] - f * t[NR]) ^ 2 < (t[best] - f * t[NR]) ^ 2) best = i
    return rss[best]
  }
  END {
    printf "rss-watch: %s\n", command > "/dev/stderr"
    if (NR == 0) { printf "rss-watch: no samples (exit %d after %s s)\n", status, wall > "/dev/stderr"; exit }
    n = 0; st = 0; sr = 0; stt = 0; str = 0
    for (i = 1; i <= NR; i++) if (t[i] >= t[NR] / 2) {
      x = t[i] / 60; n++; st += x; sr += rss[i]; stt += x * x; str += x * rss[i]
    }
    slope = (n > 1 && n * stt - st * st > 0) ? (n * str - st * sr) / (n * stt - st * st) : 0
    printf "rss-watch: wall %s s, exit %d, %d samples; at the last sample: CPU user %.1f s, system %.1f s, %d minor " \
      "faults\n", wall, status, NR, user / hz, sys / hz, faults > "/dev/stderr"
    printf "rss-watch: peak (VmHWM) %.1f MiB, final %.1f MiB\n", peak, rss[NR] > "/dev/stderr"
    printf "rss-watch: RSS at 25/50/75/100%% %.1f / %.1f / %.1f / %.1f MiB\n", at(0.25), at(0.5), at(0.75), \
      at(1) > "/dev/stderr"
    printf "rss-watch: second-half slope %+.2f MiB/min (%d samples)\n", slope, n > "/dev/stderr"
  }' "$log"
exit "$status"
