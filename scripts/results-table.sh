#!/bin/bash
# Turn the "# bench mode=stock|cached workload=W ..." lines of module-cache
# runs (vtimer-cache bench --raw) into a markdown table: stock against
# cached per workload and configuration.
# usage: results-table.sh CHECK_OUT_DIR   (default build/check)
set -euo pipefail
dir=${1:-build/check}

echo "| config | workload | loads | stock writes/load | cached writes/load | skip ratio | needed writes (stock / cached) | wrong skips | irqs lost | latency p50/p90/p99 ticks stock | cached | ns/exit stock / cached (emulated) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for f in "$dir"/module-cache-*.log; do
	[ -f "$f" ] || continue
	cfg=${f##*/module-cache-}
	cfg=${cfg%.log}
	awk -v cfg="$cfg" '
	function kv(k,   i, a) {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] }
		return "-"
	}
	function ratio(a, b) { return (a != "-" && b > 0) ? sprintf("%.6f", a / b) : "-" }
	/^# bench mode=(stock|cached) / {
		mode = kv("mode"); key = kv("workload")
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		loads[mode, key] = kv("loads")
		wpl[mode, key] = ratio(kv("writes"), kv("loads"))
		skip[mode, key] = kv("skip_ratio")
		need[mode, key] = kv("needed")
		wrong[mode, key] = kv("wrong_skips")
		lost[mode, key] = kv("lost")
		lat[mode, key] = kv("lat_p50") "/" kv("lat_p90") "/" kv("lat_p99")
		ns[mode, key] = kv("ns_per_exit")
	}
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]
			printf "| %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s | %s | %s | %s / %s |\n",
				cfg, k, loads["cached", k], wpl["stock", k], wpl["cached", k],
				skip["cached", k], need["stock", k], need["cached", k],
				wrong["cached", k], lost["stock", k], lost["cached", k],
				lat["stock", k], lat["cached", k], ns["stock", k], ns["cached", k]
		}
	}' "$f"
done
