#!/usr/bin/env python3
"""The paper's five claims, measured on the zoo: a Markdown table for Registry/README.md.

    Registry/claims.py [LGREG] [STORE] [SWS-LEARNGENE]

Reads `lgreg report accuracy --json` of the store (default: $LGREG_HOME) and the layer maps of `lgreg plan
--json` for the SWS learngene, and prints, per claim, the figures it rests on and whether it holds here. Every
figure comes from the report: nothing is typed in by hand.
"""
import json
import os
import subprocess
import sys

lgreg = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lgreg"
store = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LGREG_HOME", "")
sws = sys.argv[3] if len(sys.argv) > 3 else "fmnist-tiny-sws:2"
depths = list(range(6, 16))
tuned_depths = [6, 9, 12, 15]


def run(*arguments):
    command = [lgreg, *arguments] + (["--store", store] if store else []) + ["--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


report = run("report", "accuracy")
series = {s["key"]: s for s in report["series"]}


def statistic(source, strategy, depth, order=None, tuned_epochs=0):
    """The statistic (mean, count, …) of one series at one depth, untuned (0) or tuned for tuned_epochs; None if absent."""
    for row in report["rows"]:
        s = series[row["series"]]
        if s["strategy"] != strategy or row["depth"] != depth or (source and not s["source"].startswith(source)):
            continue
        if order is not None and s.get("order") != order:
            continue
        if strategy == "scratch" and not s["key"].endswith(f"|{tuned_epochs}"):
            continue
        statistic = row.get("untuned") if tuned_epochs == 0 else (row.get("tuned") if row.get("tunedEpochs") == tuned_epochs else None)
        if statistic:
            return statistic
    return None


def top1(*arguments, **options):
    """The mean top-1 in % of `statistic(...)`."""
    found = statistic(*arguments, **options)
    return None if found is None else 100 * found["mean"]


def figures(values):
    return ", ".join("—" if v is None else f"{v:.1f}" for v in values)


def verdict(holds):
    return "holds" if holds else "**does not hold**"


rows = []

# 1. Untuned SWS Des-Nets keep most of their Aux-Net's accuracy and improve with depth.
aux = next((top1(sws, "aux-net", row["depth"]) for row in report["rows"] if series[row["series"]]["strategy"] == "aux-net"
            and series[row["series"]]["source"] == sws), None)
fml = [top1(sws, "cyclic", d, "front-mid-last") for d in depths]
if aux is not None and None not in fml:
    kept = min(fml) / aux
    rows.append(("Untuned SWS Des-Nets keep most of the Aux-Net's accuracy and improve with depth",
                 f"Aux-Net {aux:.1f}; Des-6..15 {figures(fml)}; worst {100 * kept:.0f}% of the Aux-Net; Des-15 − Des-6 = {fml[-1] - fml[0]:+.1f}",
                 verdict(kept >= 0.8 and fml[-1] > fml[0])))

# 2. Simple-LG falls apart as it is expanded.
simple = [top1("fmnist-tiny-simple-lg", "simple-lg", d) for d in depths]
if None not in simple and None not in fml:
    rows.append(("Simple-LG falls apart as it is expanded",
                 f"Des-6..15 {figures(simple)}; Des-15 − Des-6 = {simple[-1] - simple[0]:+.1f}; SWS − Simple-LG at Des-15 = {fml[-1] - simple[-1]:+.1f}",
                 verdict(simple[-1] < simple[0] and simple[-1] < fml[-1])))

# 3. Cyclic initialization beats random-assigned (mean over its seeds).
random = [top1(sws, "random", d) for d in depths]
if None not in random and None not in fml:
    wins = sum(c > r for c, r in zip(fml, random))
    margin = sum(c - r for c, r in zip(fml, random)) / len(depths)
    seeds = min(statistic(sws, "random", d)["count"] for d in depths)
    rows.append(("Cyclic initialization beats random-assigned",
                 f"front-mid-last ahead at {wins} of {len(depths)} depths, by {margin:+.1f} points on average (random: mean of {seeds} seeds, {figures(random)})",
                 verdict(wins > len(depths) // 2 and margin > 0)))

# 4. The orders tie where their layer maps coincide.
maps = {order: {row["depth"]: row["layerMap"] for row in run("plan", sws, "--depths", "6-15", "--order", order)["rows"]}
        for order in ("front-mid-last", "last-mid-front", "mid-front-last")}
same, differ = [], []
for d in depths:
    values = [top1(sws, "cyclic", d, order) for order in maps]
    if None in values:
        continue
    (same if all(maps[o][d] == maps["front-mid-last"][d] for o in maps) else differ).append((d, max(values) - min(values)))
if same or differ:
    rows.append(("The orders tie where their layer maps coincide",
                 f"same maps at depths {[d for d, _ in same] or 'none'}: largest gap {max((g for _, g in same), default=0):.2f} points; "
                 f"different maps at {len(differ)} depths: gaps up to {max((g for _, g in differ), default=0):.1f}",
                 verdict(all(g == 0 for _, g in same))))

# 5. A briefly fine-tuned SWS Des-Net beats a scratch one trained several times longer.
tuned = [top1(sws, "cyclic", d, "front-mid-last", 1) for d in tuned_depths]
scratch3 = [top1("scratch-", "scratch", d, tuned_epochs=3) for d in tuned_depths]
scratch10 = top1("scratch-", "scratch", 12, tuned_epochs=10)
if None not in tuned and None not in scratch3:
    beats = sum(t > s for t, s in zip(tuned, scratch3))
    against10 = "" if scratch10 is None else f"; at Des-12 against 10 epochs from scratch: {tuned[2]:.1f} vs {scratch10:.1f}"
    rows.append(("One epoch of fine-tuning from SWS beats scratch trained 3× (and 10×) longer",
                 f"Des-6, 9, 12, 15: SWS 1 ep {figures(tuned)} vs scratch 3 ep {figures(scratch3)}{against10}",
                 verdict(beats == len(tuned_depths))))

print("| claim (paper) | measured here (top-1 %, Fashion-MNIST test) | verdict |")
print("|---|---|---|")
for claim, measured, holds in rows:
    print(f"| {claim} | {measured} | {holds} |")
