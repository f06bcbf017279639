"""Ratios of Clientele to its peers from one results.json of ../shared/bench/run.sh, and a bar chart.

    python scripts/bench_report.py RESULTS_DIR   -> prints a table, writes RESULTS_DIR/ratios.md and rps.png
"""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
data = json.loads((out / "results.json").read_text())
workloads = data["workloads"]
labels = data.get("workload_labels", {})


def cell(workload, column):
    value = workloads.get(workload, {}).get(column) or {}
    return value if value.get("status") == "ok" else None


lines = ["| workload | clientele req/s | p99 ms | × pgbench | × gunicorn+Flask | × Hummingbird+PostgresNIO | p99 ÷ Hummingbird's |",
         "|---|---|---|---|---|---|---|"]
for workload in workloads:
    ours = cell(workload, "TARGET")
    if not ours:
        continue

    def ratio(column, key="rps"):
        other = cell(workload, column)
        return f"{ours[key] / other[key]:.2f}" if other and other.get(key) else "–"

    p99_ratio = "–"
    peer_b = cell(workload, "B")
    if peer_b and peer_b.get("p99_ms"):
        p99_ratio = f"{ours['p99_ms'] / peer_b['p99_ms']:.2f}"
    lines.append(f"| {labels.get(workload, workload)} | {ours['rps']:,.0f} | {ours['p99_ms']:.1f} | {ratio('pgbench')} | "
                 f"{ratio('A')} | {ratio('B')} | {p99_ratio} |")
memory = data.get("memory", {}).get("TARGET")
if memory:
    lines.append("")
    lines.append(f"Clientele memory after the run: {memory['processes']} processes, RSS {memory['rss_mib']:.0f} MiB "
                 f"(PSS {memory['pss_mib']:.0f} MiB)")
table = "\n".join(lines)
print(table)
(out / "ratios.md").write_text(table + "\n")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("(matplotlib missing: no chart)")
    sys.exit(0)
columns = [("pgbench", "pgbench (same SQL)"), ("A", "gunicorn + Flask"), ("B", "Hummingbird + PostgresNIO"),
           ("TARGET", "Clientele")]
names = list(workloads)
fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 4))
if len(names) == 1:
    axes = [axes]
for axis, workload in zip(axes, names):
    values = [(cell(workload, key) or {}).get("rps") or 0 for key, _ in columns]
    axis.bar(range(len(columns)), values, color=["#999999", "#4c72b0", "#dd8452", "#55a868"])
    axis.set_xticks(range(len(columns)))
    axis.set_xticklabels([label for _, label in columns], rotation=40, ha="right", fontsize=7)
    axis.set_title(workload, fontsize=9)
    axis.set_ylabel("requests (tx) per second", fontsize=7)
fig.suptitle(f"Clientele vs peers, {data.get('date', '')}, {data.get('nproc')} cores", fontsize=9)
fig.tight_layout()
fig.savefig(out / "rps.png", dpi=110)
print(f"chart: {out / 'rps.png'}")
