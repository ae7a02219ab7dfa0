#!/usr/bin/env bash
# What bounds a serial payment's latency: the fsyncs it waits for in series.
#
# Runs the serial keysend benchmark twice under strace (a short and a long run), and prints
# per payment, from the difference of the two (so the network's setup cancels out): fsync and
# fdatasync calls, the time spent in them, and the benchmark's own p50 latency.
#
#   scripts/fsync-profile.sh              # 60 and 360 payments
#   SHORT=50 LONG=550 scripts/fsync-profile.sh
#
# Both nodes run in the one benchmark process, so the counts are for both; their fsyncs may
# overlap, so the time is an upper bound on what a payment waited for. strace stops only on the
# traced calls (--seccomp-bpf), which keeps the run within ~15 % of an untraced one; the counts
# are exact.
set -euo pipefail
cd "$(dirname "$0")/.."
short=${SHORT:-60}
long=${LONG:-360}
mmln=${MMLN:-}
if [ -z "$mmln" ]; then
    cargo build --release --quiet --bin mmln
    mmln="${CARGO_TARGET_DIR:-target}/release/mmln"
fi
out=$(mktemp -d)
for n in "$short" "$long"; do
    echo "== serial keysend, $n payments, under strace" >&2
    strace -f -qq -T --seccomp-bpf -e trace=fsync,fdatasync -o "$out/trace-$n" \
        "$mmln" bench keysend --workers 1 --payments "$n" > "$out/report-$n.json"
done
python3 - "$out" "$short" "$long" <<'PY'
import json, re, sys
out, short, long = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def fsyncs(n):
    calls, secs = 0, 0.0
    for line in open(f"{out}/trace-{n}"):
        # A call another thread interrupted is logged twice, "unfinished" then "resumed";
        # only the second carries its time.
        m = re.search(r"(fsync|fdatasync)(\(| resumed>).*<([0-9.]+)>$", line.rstrip())
        if m:
            calls += 1
            secs += float(m.group(3))
    return calls, secs
def p50(n):
    report = json.load(open(f"{out}/report-{n}.json"))
    return report["latency_ms"]["p50_ms"]
(c1, s1), (c2, s2) = fsyncs(short), fsyncs(long)
payments = long - short
calls = (c2 - c1) / payments
ms = (s2 - s1) * 1000 / payments
print(json.dumps({
    "payments": payments,
    "fsyncs_per_payment": round(calls, 2),
    "fsync_ms_per_payment": round(ms, 2),
    "mean_fsync_ms": round(ms / calls, 2) if calls else None,
    "p50_latency_ms": p50(long),
}, indent=2))
PY
rm -rf "$out"
