#!/usr/bin/python3
"""Draws an accel-sim timing report (--report=FILE.json) as one PNG: per-unit
utilization of every call (busy cycles / call cycles) and a roofline of the
calls (achieved MAC/s against operational intensity, under the modelled HBM
bandwidth and the modelled MAC rate).

    utils/plot_report.py report.json -o report.png

Needs Debian's python3-matplotlib.
"""

import argparse
import json
import sys

UNITS = ("ctl", "ld", "st", "mx", "vec")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="JSON report of accel-sim --report")
    parser.add_argument("-o", "--output", default="report.png", help="PNG to write")
    args = parser.parse_args(argv)
    try:
        with open(args.report) as f:
            report = json.load(f)
        calls = report["calls"]
        clock = report["clock_mhz"] * 1e6
        peak_bw = report["peak"]["hbm_modelled_gbps"] * 1e9
    except (OSError, ValueError, KeyError, TypeError) as err:
        sys.exit(f"plot_report: {args.report}: not an accel-sim report ({err})")
    if not calls:
        sys.exit(f"plot_report: {args.report}: the report has no calls")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (util, roof) = plt.subplots(1, 2, figsize=(13, 5))

    labels = [f"{c['entry']}@{c['position']}" for c in calls]
    width = 0.8 / len(UNITS)
    for i, unit in enumerate(UNITS):
        util.bar([x + i * width for x in range(len(calls))],
                 [100 * c["units"][unit]["utilization"] for c in calls],
                 width, label=unit)
    util.set_xticks([x + 0.4 - width / 2 for x in range(len(calls))])
    util.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    util.set_ylabel("utilization (% of the call's cycles)")
    util.set_ylim(0, 100)
    util.set_title(f"{report['config']} at {report['clock_mhz']:g} MHz: units")
    util.legend(ncol=len(UNITS), fontsize=8)

    points = []
    for c in calls:
        bytes_ = c["hbm"]["read_bytes"] + c["hbm"]["write_bytes"]
        macs = c["compute"]["macs"]
        if bytes_ and macs and c["seconds"]:
            points.append((macs / bytes_, macs / c["seconds"], c,
                           c["compute"]["modelled_macs_per_cycle"] * clock))
    if points:
        peak_macs = max(p[3] for p in points)
        lo = min(p[0] for p in points) / 10
        hi = max(max(p[0] for p in points) * 10, peak_macs / peak_bw * 10)
        xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
        roof.plot(xs, [min(peak_macs, x * peak_bw) for x in xs], "k-",
                  label=f"roofline: {peak_bw / 1e9:.0f} GB/s, "
                        f"{peak_macs / 1e9:.0f} GMAC/s")
        for entry, marker in (("prefill", "o"), ("decode", "s")):
            sel = [p for p in points if p[2]["entry"] == entry]
            if sel:
                roof.scatter([p[0] for p in sel], [p[1] for p in sel],
                             marker=marker, label=entry)
        other = [p for p in points if p[2]["entry"] not in ("prefill", "decode")]
        if other:
            roof.scatter([p[0] for p in other], [p[1] for p in other],
                         marker="^", label="other")
        roof.set_xscale("log")
        roof.set_yscale("log")
        roof.legend(fontsize=8)
    else:
        roof.text(0.5, 0.5, "no matrix work or no HBM traffic",
                  ha="center", va="center", transform=roof.transAxes)
    roof.set_xlabel("operational intensity (MAC / HBM byte)")
    roof.set_ylabel("achieved MAC/s")
    roof.set_title("roofline (modelled peaks)")

    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"plot_report: wrote {args.output}")


if __name__ == "__main__":
    main()
