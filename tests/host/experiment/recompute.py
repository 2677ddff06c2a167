#!/usr/bin/env python3
"""Recomputes an experiment report from its samples.csv file(s) and checks
what `allocpipe-host experiment report` wrote (arms.csv, units.csv,
report.md, chart.svg, chart.png), with the definitions written out again
here: a cycle is a sampling round, round(t - t0) / interval; steady state is
the median over the last 30% of the rounds (at least one); growth the
least-squares slope of the per-round medians over the last half (at least two),
per day; arms take the median and the type-7 quartiles across their units.
Exit 0 when everything matches, 1 with the differences listed.
With --gate BASE CAND it prints the exit status the gate must have (0/1)."""
import argparse, csv, datetime, json, math, os, statistics, sys

MB = 1024.0 * 1024.0


def epoch(t):
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def llround(x):  # C's llround: half away from zero
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def quantile(v, q):
    v = sorted(v)
    if not v:
        return None
    pos = q * (len(v) - 1)
    lo = int(math.floor(pos))
    hi = min(len(v) - 1, lo + 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def median(v):
    return statistics.median(v) if v else None


def ols(xy):
    if len(xy) < 2:
        return None
    mx = sum(x for x, _ in xy) / len(xy)
    my = sum(y for _, y in xy) / len(xy)
    sxx = sum((x - mx) ** 2 for x, _ in xy)
    sxy = sum((x - mx) * (y - my) for x, y in xy)
    return None if sxx == 0 else sxy / sxx


def steady(points, cycles):
    """points: (cycle, x, value); the qualification benchmark's definition."""
    s_from = cycles - max(1, math.ceil(cycles * 0.3))
    l_from = cycles - max(2, cycles // 2)
    level = median([v for c, _, v in points if c >= s_from])
    per = {}
    for c, x, v in points:
        if c >= l_from:
            per.setdefault(c, ([], []))
            per[c][0].append(x)
            per[c][1].append(v)
    xy = [(statistics.median(xs), statistics.median(vs)) for c, (xs, vs) in sorted(per.items())]
    return level, ols(xy)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", action="append", required=True)
    ap.add_argument("--experiment", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--restarted")
    ap.add_argument("--appeared")
    ap.add_argument("--invalid-after", type=float)
    ap.add_argument("--invalid-arm")
    ap.add_argument("--started", type=float)
    ap.add_argument("--hosts", type=int, default=1)
    ap.add_argument("--gate", nargs=2)
    a = ap.parse_args()
    exp = json.load(open(a.experiment))
    interval = float(exp["interval_seconds"])
    rows = []
    for path in a.samples:
        with open(path) as f:
            rows += list(csv.DictReader(f))
    for r in rows:
        r["t"] = epoch(r["time"])
    t0 = min(r["t"] for r in rows)
    t_end = max(r["t"] for r in rows)
    cycles = llround((t_end - t0) / interval) + 1
    by_unit = {}
    for r in rows:
        if r["arm"]:
            by_unit.setdefault((r["host"], r["unit"]), []).append(r)
    units = {}
    for key, rs in by_unit.items():
        rs.sort(key=lambda r: r["t"])
        rss, anon = [], []
        restarts = invalid = 0
        last_pid, boot = 0, rs[0]["boot_id"]
        for r in rs:
            if r["boot_id"] != boot:
                boot, last_pid = r["boot_id"], 0
            pid = int(r["main_pid"])
            if pid:
                if last_pid and pid != last_pid:
                    restarts += 1
                last_pid = pid
            if r["valid"] != "1" or not r["rss_bytes"]:
                invalid += 1
                continue
            c = llround((r["t"] - t0) / interval)
            x = (r["t"] - t0) / 86400.0
            rss.append((c, x, int(r["rss_bytes"]) / MB))
            if r["anonymous_bytes"]:
                anon.append((c, x, int(r["anonymous_bytes"]) / MB))
        level, slope = steady(rss, cycles)
        units[key] = dict(arm=rs[0]["arm"], samples=len(rs), invalid=invalid, rss=level, slope=slope,
                          anon=steady(anon, cycles)[0], restarts=restarts)
    arms = {}
    for arm in [x["label"] for x in exp["arms"]]:
        us = [u for u in units.values() if u["arm"] == arm]
        m = [u for u in us if u["rss"] is not None]
        arms[arm] = dict(units=len(us), measured=len(m), samples=sum(u["samples"] for u in us),
                         invalid=sum(u["invalid"] for u in us), restarts=sum(u["restarts"] for u in us),
                         rss_median=median([u["rss"] for u in m]), rss_q1=quantile([u["rss"] for u in m], 0.25),
                         rss_q3=quantile([u["rss"] for u in m], 0.75),
                         slope_median=median([u["slope"] for u in m if u["slope"] is not None]),
                         slope_q1=quantile([u["slope"] for u in m if u["slope"] is not None], 0.25),
                         slope_q3=quantile([u["slope"] for u in m if u["slope"] is not None], 0.75),
                         anon_median=median([u["anon"] for u in m if u["anon"] is not None]))

    if a.gate:
        base, cand = arms[a.gate[0]], arms[a.gate[1]]
        ok = cand["slope_median"] / 24.0 <= base["slope_median"] / 24.0 + 3.0
        ok = ok and cand["anon_median"] <= base["anon_median"] * 1.2
        print(0 if ok else 1)
        return 0

    problems = []

    def close(what, got, want, tol):
        if want is None:
            if got not in ("", None):
                problems.append(f"{what}: report {got}, recomputed: not measurable")
            return
        if got in ("", None) or abs(float(got) - want) > tol:
            problems.append(f"{what}: report {got!r}, recomputed {want:.4f}")

    with open(os.path.join(a.report, "arms.csv")) as f:
        reported = {r["arm"]: r for r in csv.DictReader(f)}
    if sorted(reported) != sorted(arms):
        problems.append(f"arms.csv has arms {sorted(reported)}, expected {sorted(arms)}")
    for arm, want in arms.items():
        got = reported.get(arm)
        if not got:
            continue
        for k in ("units", "measured", "samples", "restarts"):
            if int(got[k]) != want[k]:
                problems.append(f"{arm} {k}: report {got[k]}, recomputed {want[k]}")
        if int(got["invalid_samples"]) != want["invalid"]:
            problems.append(f"{arm} invalid_samples: report {got['invalid_samples']}, recomputed {want['invalid']}")
        close(f"{arm} steady RSS median", got["steady_rss_mb_median"], want["rss_median"], 0.0011)
        close(f"{arm} steady RSS q1", got["steady_rss_mb_q1"], want["rss_q1"], 0.0011)
        close(f"{arm} steady RSS q3", got["steady_rss_mb_q3"], want["rss_q3"], 0.0011)
        close(f"{arm} growth median", got["growth_mb_per_day_median"], want["slope_median"], 0.0011)
        close(f"{arm} growth q1", got["growth_mb_per_day_q1"], want["slope_q1"], 0.0011)
        close(f"{arm} growth q3", got["growth_mb_per_day_q3"], want["slope_q3"], 0.0011)
    if not any(x["measured"] for x in arms.values()):
        problems.append("no unit of any arm was measured (the experiment ran too short?)")
    with open(os.path.join(a.report, "units.csv")) as f:
        ureported = {(r["host"], r["unit"]): r for r in csv.DictReader(f)}
    if sorted(ureported) != sorted(units):
        problems.append(f"units.csv lists {sorted(ureported)}, expected {sorted(units)}")
    for key, want in units.items():
        got = ureported.get(key)
        if got:
            close(f"{key} steady RSS", got["steady_rss_mb"], want["rss"], 0.0011)
            close(f"{key} growth", got["growth_mb_per_day"], want["slope"], 0.0011)
            if int(got["invalid_samples"]) != want["invalid"] or int(got["restarts"]) != want["restarts"]:
                problems.append(f"{key}: invalid/restarts {got['invalid_samples']}/{got['restarts']}, recomputed {want['invalid']}/{want['restarts']}")
    hosts = sorted({r["host"] for r in rows})
    if len(hosts) != a.hosts:
        problems.append(f"samples from {len(hosts)} host(s), expected {a.hosts}")

    md = open(os.path.join(a.report, "report.md")).read()
    for h in hosts:
        if h not in md.split("\n\n")[1]:
            problems.append(f"report.md does not name host {h}")
    for arm in arms:
        if f"| {arm} |" not in md:
            problems.append(f"report.md has no table row for arm {arm}")
    svg = open(os.path.join(a.report, "chart.svg")).read()
    for arm in arms:
        if f'data-arm="{arm}"' not in svg:
            problems.append(f"chart.svg draws nothing for arm {arm}")
    png = os.path.join(a.report, "chart.png")
    if os.path.exists(png):
        with open(png, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                problems.append("chart.png is not a PNG")
        if "](chart.png)" not in md:
            problems.append("report.md does not show chart.png")
    elif "](chart.svg)" not in md:
        problems.append("no chart.png, and report.md does not show chart.svg instead")

    # The scenario's events.
    if a.restarted:
        rs = [u for (h, n), u in units.items() if n == a.restarted]
        if not rs or rs[0]["restarts"] < 1:
            problems.append(f"{a.restarted} was restarted by hand but shows no restart")
        elif f"{a.restarted} (" not in md or "restart(s)" not in md:
            problems.append(f"report.md does not show the restart of {a.restarted}")
    if a.appeared:
        if not any(r["unit"] == a.appeared and r["arm"] == "" and r["valid"] == "0" for r in rows):
            problems.append(f"{a.appeared} appeared mid-way but was not sampled as a unit in no arm")
        if a.appeared not in md:
            problems.append(f"report.md does not list {a.appeared} as appeared")
        if any(n == a.appeared for (h, n) in units):
            problems.append(f"{a.appeared} is counted in an arm")
    if a.invalid_after is not None:
        after = [r for r in rows if r["arm"] == a.invalid_arm and r["t"] >= a.invalid_after + 2]
        before = [r for r in rows if r["arm"] == a.invalid_arm and r["t"] < a.invalid_after - 1]
        if not after:
            problems.append(f"no sample of arm {a.invalid_arm} after its library was removed")
        if any(r["valid"] == "1" for r in after):
            problems.append(f"arm {a.invalid_arm}: samples after the removal of its library are marked valid")
        if not any(r["valid"] == "1" for r in before):
            problems.append(f"arm {a.invalid_arm}: no valid sample before the removal (nothing was measured)")
    if a.started is not None:
        valid = [r for r in rows if r["arm"] and r["valid"] == "1"]
        if len({r["time"] for r in rows}) < 10:
            problems.append(f"only {len({r['time'] for r in rows})} sampling rounds; the timer did not sample every 5 s")
        bad = [r for r in valid if r["arm"] != a.invalid_arm and r["library"] != r["mapped"]]
        if bad:
            problems.append(f"valid samples whose mapped library is not the arm's: {bad[:2]}")

    for p in problems:
        print("recompute: " + p, file=sys.stderr)
    print(f"recompute: {len(rows)} samples, {len(units)} units, {len(arms)} arms, {cycles} rounds: "
          + ("all figures match" if not problems else f"{len(problems)} problem(s)"), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
