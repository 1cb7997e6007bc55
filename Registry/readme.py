#!/usr/bin/env python3
"""Writes the zoo's measured figures into Registry/README.md and draws Registry/accuracy.svg.

    Registry/readme.py [--check] [LGREG] [STORE]

LGREG defaults to .build/release/lgreg, STORE to $LGREG_HOME: a store holding the zoo (its archives published,
its tuned Des-Nets pulled from Registry/tuned). Each section of the README between `<!-- NAME -->` and
`<!-- /NAME -->` is rewritten from `lgreg report accuracy --json` and `lgreg plan --json`:
- `archives`: each learngene archive and the tuned Des-Nets: what they store, and the learngene's own top-1;
- `curves`: each training's test top-1 after every epoch, from Registry/*.metrics.jsonl;
- `untuned`: top-1 of every strategy at depth 6..15, untuned;
- `tuned`: top-1 after fine-tuning from each learngene, and from scratch, at depths 6, 9, 12 and 15;
- `storage`: what each learngene stores against pre-training every Des-Net (PF);
- `claims`: the paper's five claims, the figures each rests on, and whether it holds here.
Nothing is typed in by hand. With --check, nothing is written: the exit status is 1 when the README's sections
differ from what the store reports (CI runs it that way), 0 when they agree.
"""
import json
import os
import re
import subprocess
import sys

arguments = [a for a in sys.argv[1:] if a != "--check"]
check = "--check" in sys.argv[1:]
lgreg = arguments[0] if arguments else ".build/release/lgreg"
store = arguments[1] if len(arguments) > 1 else os.environ.get("LGREG_HOME", "")
registry = os.path.dirname(os.path.abspath(__file__))
readme = os.path.join(registry, "README.md")
SWS = "fmnist-tiny-sws:2"
DEPTHS = list(range(6, 16))
TUNED_DEPTHS = [6, 9, 12, 15]
ORDERS = ("front-mid-last", "last-mid-front", "mid-front-last")


def run(*command):
    """`lgreg COMMAND --json` on the store, decoded."""
    full = [lgreg, *command] + (["--store", store] if store else []) + ["--json"]
    return json.loads(subprocess.run(full, check=True, capture_output=True, text=True).stdout)


report = run("report", "accuracy")
series = {s["key"]: s for s in report["series"]}


def statistic(source, strategy, depth, order=None, epochs=0):
    """The statistic (mean, min, max, count, …) of `strategy` from the source whose reference starts with `source`
    at `depth`: untuned when `epochs` is 0, else after `epochs` epochs of training; None when not recorded."""
    for row in report["rows"]:
        s = series[row["series"]]
        if s["strategy"] != strategy or row["depth"] != depth or not s["source"].startswith(source):
            continue
        if order is not None and s.get("order") != order:
            continue
        if epochs == 0:
            found = row.get("untuned")
        else:
            found = row.get("tuned") if row.get("tunedEpochs") == epochs else None
        if found:
            return found
    return None


def top1(*arguments, **options):
    """The mean top-1 in % of `statistic(...)`, None when not recorded."""
    found = statistic(*arguments, **options)
    return None if found is None else 100 * found["mean"]


def cell(found):
    """A table cell: the mean in %, with the min–max range when several seeds were measured."""
    if found is None:
        return "—"
    text = f"{100 * found['mean']:.2f}"
    if found["count"] > 1:
        text += f" ({100 * found['min']:.1f}–{100 * found['max']:.1f})"
    return text


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def aux_net_top1(source):
    """The top-1 in % declared for a learngene's own trained network (its Aux-Net, or the plain model)."""
    for row in report["rows"]:
        s = series[row["series"]]
        if s["strategy"] == "aux-net" and s["source"].startswith(source) and row.get("untuned"):
            return 100 * row["untuned"]["mean"]
    return None


def seeds(source, strategy):
    counts = [statistic(source, strategy, d)["count"] for d in DEPTHS if statistic(source, strategy, d)]
    return min(counts, default=0)


UNTUNED = [("SWS front-mid-last", SWS, "cyclic", "front-mid-last"), ("SWS last-mid-front", SWS, "cyclic", "last-mid-front"),
           ("SWS mid-front-last", SWS, "cyclic", "mid-front-last"),
           (f"SWS random-assigned ({seeds(SWS, 'random')} seeds)", SWS, "random", None),
           ("TLEG", "fmnist-tiny-tleg", "tleg", None), ("IMwLM", "fmnist-tiny-imwlm-source", "imwlm", None),
           ("Simple-LG", "fmnist-tiny-simple-lg", "simple-lg", None), ("Vanilla-LG", "fmnist-small-ancestry", "vanilla-lg", None)]
TUNED = [("SWS", SWS, "cyclic", "front-mid-last", 1), ("TLEG", "fmnist-tiny-tleg", "tleg", None, 1),
         ("IMwLM", "fmnist-tiny-imwlm-source", "imwlm", None, 1), ("Simple-LG", "fmnist-tiny-simple-lg", "simple-lg", None, 1),
         ("Vanilla-LG", "fmnist-small-ancestry", "vanilla-lg", None, 1),
         ("scratch, 1 epoch", "scratch-", "scratch", None, 1), ("scratch, 3 epochs", "scratch-", "scratch", None, 3),
         ("scratch, 10 epochs", "scratch-", "scratch", None, 10)]


def archives_section():
    """One row per learngene in the store (its archive is Registry/NAME.lgz), then the tuned Des-Nets together."""
    entries = run("list", "--all")["list"]
    rows = []
    for e in (e for e in entries if e["entry"] == "learngene"):
        declared = sum(row["untuned"]["count"] for row in report["rows"]
                       if series[row["series"]]["source"] == e["reference"] and row.get("untuned"))
        own = aux_net_top1(e["reference"])
        rows.append([f"`{e['name']}.lgz`", f"`{e['reference']}`", e["kind"], str(e["layers"]), f"{e['storedParameters']:,}",
                     f"{e['totalBytes'] / 1e6:.2f} MB", "—" if own is None else f"{own:.2f}", str(declared)])
    tuned = [e for e in entries if e["entry"] == "tuned"]
    if tuned:
        rows.append(["`tuned/`", f"{len(tuned)} tuned Des-Nets", "tuned", f"{min(e['layers'] for e in tuned)}–{max(e['layers'] for e in tuned)}",
                     "", f"{sum(e['totalBytes'] for e in tuned) / 1e6:.2f} MB (shared blobs counted in each)", "", str(len(tuned))])
    return table(["file", "reference", "kind", "layers (depth)", "stored parameters", "size in the store", "its own top-1 %",
                  "declared results"], rows)


def curves_section():
    """Test top-1 after each epoch of every training whose metrics are kept beside its archive (a resumed run's
    repeated epoch counts once: its last line)."""
    curves = {}
    for name in sorted(os.listdir(registry)):
        if name.endswith(".metrics.jsonl"):
            with open(os.path.join(registry, name), encoding="utf-8") as f:
                curves[name[:-len(".metrics.jsonl")]] = {line["epoch"]: line["evalAccuracy"] for line in map(json.loads, filter(str.strip, f))}
    epochs = sorted({epoch for curve in curves.values() for epoch in curve})
    rows = [[str(epoch)] + [f"{100 * curve[epoch]:.2f}" if epoch in curve else "" for curve in curves.values()] for epoch in epochs]
    return table(["epoch"] + [f"`{name}`" for name in curves], rows)


def untuned_section():
    rows = [[f"Des-{d}"] + [cell(statistic(source, strategy, d, order)) for _, source, strategy, order in UNTUNED] for d in DEPTHS]
    own, previous = ["the learngene's own network"], None
    for _, source, _, _ in UNTUNED:
        value = aux_net_top1(source)
        own.append("" if source == previous else "—" if value is None else f"{value:.2f}")
        previous = source
    return table(["Des-Net"] + [title for title, *_ in UNTUNED], rows + [own])


def tuned_section():
    rows = [[f"Des-{d}"] + [cell(statistic(source, strategy, d, order, epochs)) for _, source, strategy, order, epochs in TUNED]
            for d in TUNED_DEPTHS]
    return table(["Des-Net"] + [title for title, *_ in TUNED], rows)


def storage_section():
    storage = report["storage"]
    depths = storage["depths"]
    rows = [[f"`{g['reference']}`", f"{g['storedParameters']:,}", f"{g['pfParameters']:,}", f"{g['ratio']:.1f}×"] for g in storage["learngenes"]]
    return table(["learngene", "stored parameters (the learngene, once)", f"PF: Des-{depths[0]}..{depths[-1]} each pre-trained", "saving"], rows)


def claims_section():
    rows = []
    aux = aux_net_top1(SWS)
    fml = [top1(SWS, "cyclic", d, "front-mid-last") for d in DEPTHS]

    def figures(values):
        return ", ".join("—" if v is None else f"{v:.1f}" for v in values)

    def verdict(holds):
        return "holds" if holds else "**does not hold**"

    # 1. Untuned SWS Des-Nets keep most of their Aux-Net's accuracy and improve with depth.
    if aux is not None and None not in fml:
        kept = min(fml) / aux
        rows.append(["Untuned SWS Des-Nets keep most of the Aux-Net's accuracy and improve with depth",
                     f"Aux-Net {aux:.1f}; Des-6..15 {figures(fml)}; worst {100 * kept:.0f}% of the Aux-Net; Des-15 − Des-6 = {fml[-1] - fml[0]:+.1f}",
                     verdict(kept >= 0.8 and fml[-1] > fml[0])])
    # 2. Simple-LG falls apart as it is expanded.
    simple = [top1("fmnist-tiny-simple-lg", "simple-lg", d) for d in DEPTHS]
    if None not in simple and None not in fml:
        rows.append(["Simple-LG falls apart as it is expanded",
                     f"Des-6..15 {figures(simple)}; Des-15 − Des-6 = {simple[-1] - simple[0]:+.1f}; SWS − Simple-LG at Des-15 = {fml[-1] - simple[-1]:+.1f}",
                     verdict(simple[-1] < simple[0] and simple[-1] < fml[-1])])
    # 3. Cyclic initialization beats random-assigned (the mean over its seeds).
    random = [top1(SWS, "random", d) for d in DEPTHS]
    if None not in random and None not in fml:
        wins = sum(c > r for c, r in zip(fml, random))
        margin = sum(c - r for c, r in zip(fml, random)) / len(DEPTHS)
        rows.append(["Cyclic initialization beats random-assigned",
                     f"front-mid-last ahead at {wins} of {len(DEPTHS)} depths, by {margin:+.1f} points on average "
                     f"(random: mean of {seeds(SWS, 'random')} seeds, {figures(random)})",
                     verdict(wins > len(DEPTHS) // 2 and margin > 0)])
    # 4. The orders tie where their layer maps coincide.
    maps = {order: {row["depth"]: row["layerMap"] for row in run("plan", SWS, "--depths", "6-15", "--order", order)["rows"]}
            for order in ORDERS}
    same, differ = [], []
    for d in DEPTHS:
        for i, a in enumerate(ORDERS):
            for b in ORDERS[i + 1:]:
                values = (top1(SWS, "cyclic", d, a), top1(SWS, "cyclic", d, b))
                if None not in values:
                    (same if maps[a][d] == maps[b][d] else differ).append((d, a, b, abs(values[0] - values[1])))
    if same or differ:
        groups = []
        for d in DEPTHS:
            classes = [[o for o in ORDERS if maps[o][d] == maps[first][d]] for first in ORDERS]
            shared = {tuple(c) for c in classes if len(c) > 1}
            groups += [f"Des-{d}: " + ("all three" if len(c) == len(ORDERS) else " = ".join(c)) for c in sorted(shared)]
        pairs = "; ".join(groups) or "none"
        rows.append(["The orders tie where their layer maps coincide",
                     f"the same map at {pairs}: largest gap {max((g for *_, g in same), default=0):.2f} points; "
                     f"the {len(differ)} pairs with different maps differ by up to {max((g for *_, g in differ), default=0):.1f}",
                     verdict(all(g == 0 for *_, g in same))])
    # 5. A briefly fine-tuned SWS Des-Net beats a scratch one trained several times longer.
    tuned = [top1(SWS, "cyclic", d, "front-mid-last", 1) for d in TUNED_DEPTHS]
    scratch3 = [top1("scratch-", "scratch", d, epochs=3) for d in TUNED_DEPTHS]
    scratch10 = top1("scratch-", "scratch", 12, epochs=10)
    if None not in tuned and None not in scratch3:
        beats = sum(t > s for t, s in zip(tuned, scratch3))
        against10 = "" if scratch10 is None else f"; at Des-12 against 10 epochs from scratch: {tuned[2]:.1f} vs {scratch10:.1f}"
        rows.append(["One epoch of fine-tuning from SWS beats scratch trained 3× (and 10×) longer",
                     f"Des-6, 9, 12, 15: SWS 1 epoch {figures(tuned)} vs scratch 3 epochs {figures(scratch3)}{against10}",
                     verdict(beats == len(TUNED_DEPTHS) and (scratch10 is None or tuned[2] > scratch10))])
    lines = ["| claim (paper) | measured here (top-1 %, Fashion-MNIST test) | verdict |", "|---|---|---|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


sections = {"archives": archives_section(), "curves": curves_section(), "untuned": untuned_section(), "tuned": tuned_section(), "storage": storage_section(), "claims": claims_section()}
with open(readme, encoding="utf-8") as f:
    text = f.read()
updated = text
for name, body in sections.items():
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    if not pattern.search(updated):
        sys.exit(f"{readme}: no <!-- {name} --> … <!-- /{name} --> section to fill")
    updated = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), updated)
if check:
    if updated != text:
        sys.exit(f"{readme}: its figures differ from the store's report; run Registry/readme.py to rewrite them")
    print(f"{readme}: every figure agrees with the store")
else:
    with open(readme, "w", encoding="utf-8") as f:
        f.write(updated)
    subprocess.run([lgreg, "report", "accuracy", "--svg", os.path.join(registry, "accuracy.svg")]
                   + (["--store", store] if store else []), check=True, stdout=subprocess.DEVNULL)
    print(f"wrote {readme} and {os.path.join(registry, 'accuracy.svg')}")
