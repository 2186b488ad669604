#!/usr/bin/env python3
"""bench/scale_report.py DATA MD PLOT: the table and the plot of bench/scale.

DATA/res.tsv holds "KEY RUNTIME X VALUE" lines (bench/scale's rec); MD is
the markdown file to write ("-": stdout only), PLOT the PNG ("-": none)."""
import collections
import os
import subprocess
import sys

data, md_path, plot_path = sys.argv[1], sys.argv[2], sys.argv[3]
res = collections.defaultdict(dict)      # (key, runtime) -> {x: value}
skipped = collections.defaultdict(dict)  # runtime -> {"N 1000": why}
for line in open(os.path.join(data, "res.tsv")):
    key, rt, x, v = line.rstrip("\n").split("\t")
    if key == "skipped":
        skipped[rt][x] = v
    elif key == "leftovers":
        sec, xv = x.split()
        res[("leftovers " + sec, rt)][xv] = v
    else:
        res[(key, rt)][x] = v
# A redeploy that sent no request (its deploy failed) measured no failure
# and no latency: "-" rather than 0.
for (key, rt), d in list(res.items()):
    if key in ("failed", "timeouts", "lat_p99", "lat_max"):
        for x in list(d):
            if res.get(("requests", rt), {}).get(x) == "0":
                del d[x]


def xs_of(keys, sec):
    xs = set()
    for (k, _), d in res.items():
        if k in keys:
            xs.update(d)
    for d in skipped.values():
        for x in d:
            if x.split()[0] == sec:
                xs.add(x.split()[1])
    return xs


def fmt(v, unit):
    if v is None:
        return "-"
    f = float(v)
    if unit == "s":
        return "%.2f s" % (f / 1000)
    if unit == "ms":
        return ("%.1f ms" % f) if f < 100 else ("%.0f ms" % f)
    if unit == "KiB":
        return "%.0f KB" % f if f < 10240 else "%.1f MB" % (f / 1024)
    return "%d" % f if f == int(f) else "%g" % f


out = []
head = open(os.path.join(data, "header.txt")).read().rstrip("\n")


def column(sec, x):
    """N=100 node: the N section's x is "N/APP" (the app each row runs)."""
    n, _, app = x.partition("/")
    return "%s=%s%s" % (sec, n, " " + app if app else "")


def section(title, sec, xs, rows):
    if not xs:  # a section not run (SCALE_SECTIONS)
        return
    out.append("| **%s** | | %s |" % (title, " | ".join(column(sec, x) for x in xs)))
    for label, key, rt, unit in rows:
        cells = []
        for x in xs:
            v = res.get((key, rt), {}).get(x)
            why = skipped.get(rt, {}).get("%s %s" % (sec, x))
            if v is None and why:
                cells.append("skipped (%s)" % why)
            elif v is None and key.startswith("ratio:"):
                a, b = key[6:].split("/")
                k = rows_ratio_key[label]
                va, vb = res.get((k, a), {}).get(x), res.get((k, b), {}).get(x)
                cells.append("%.2f" % (float(va) / float(vb)) if va and vb and float(vb) else "-")
            else:
                cells.append(fmt(v, unit))
        out.append("| %s | %s | %s |" % (label, rt, " | ".join(cells)))


rows_ratio_key = {}


def ratio(label, key, a, b):
    rows_ratio_key[label] = key
    return (label, "ratio:%s/%s" % (a, b), "%s/%s" % (a, b), "")


APPS = ("node", "httpd")


def nums(xs):
    """R and K: by number; N ("N/APP"): node first, then httpd, by N."""
    def key(x):
        n, _, app = x.partition("/")
        return (APPS.index(app) if app in APPS else -1, int(n))
    return sorted(xs, key=key)


ncols = max(len(nums(xs_of({"up_all", "up_cmd"}, "N"))), len(nums(xs_of({"deploy", "redeploy", "failed"}, "R"))),
            len(nums(xs_of({"par_run"}, "K"))), 1)
out.append("| measure | runtime |%s" % (" |" * ncols))
out.append("|---|---|%s" % ("---|" * ncols))
ns = nums(xs_of({"up_all", "up_cmd"}, "N"))
rows = []
for rt in ("zrun", "pm2", "crun", "runc"):
    rows.append(("bring-up: commands returned", "up_cmd", rt, "ms"))
for rt in ("zrun", "pm2", "crun", "runc"):
    rows.append(("bring-up: every service answers", "up_all", rt, "ms"))
rows.append(ratio("bring-up ratio", "up_all", "zrun", "pm2"))
rows += [("`list` (pm2 ls)", "list", rt, "ms") for rt in ("zrun", "pm2", "crun", "runc")]
rows.append(("`service list`", "svc_list", "zrun", "ms"))
rows += [("status of one (service status, pm2 show, state)", "status", rt, "ms")
         for rt in ("zrun", "pm2", "crun", "runc")]
rows += [("manager's own PSS per service", "own_pss", rt, "KiB") for rt in ("zrun", "pm2")]
rows += [("app PSS per service", "app_pss", rt, "KiB") for rt in ("zrun", "pm2", "crun", "runc")]
rows += [("teardown of all", "down", rt, "ms") for rt in ("zrun", "pm2", "crun", "runc")]
rows += [("leftovers after teardown", "leftovers N", rt, "") for rt in ("zrun", "pm2", "crun", "runc")]
section("N services, one instance each", "N", ns, rows)

rs = nums(xs_of({"deploy", "redeploy", "failed"}, "R"))
modes = ("zrun-default", "zrun-fast", "zrun-start8", "pm2")
rows = [("deploy until serving", "deploy", m, "s") for m in modes]
rows.append(ratio("deploy ratio", "deploy", "zrun-default", "pm2"))
rows += [("redeploy under wrk load", "redeploy", m, "s") for m in modes]
rows.append(ratio("redeploy ratio", "redeploy", "zrun-default", "pm2"))
rows += [("failed requests in the redeploy", "failed", m, "") for m in modes]
rows += [("of which timeouts (wrk: 2 s)", "timeouts", m, "") for m in modes]
rows += [("latency in the redeploy, p99", "lat_p99", m, "ms") for m in modes]
rows += [("latency in the redeploy, max", "lat_max", m, "ms") for m in modes]
rows += [("requests sent (wrk -t2 -c16)", "requests", m, "") for m in modes]
rows += [("abort of a release crashing at start", "abort", m, "s") for m in modes[:3]]
rows += [("leftovers after teardown", "leftovers R", m, "") for m in ("zrun", "pm2")]
section("one service, R replicas", "R", rs, rows)

ks = nums(xs_of({"par_run"}, "K"))
rows = [("K parallel `run /bin/true`, wall", "par_run", rt, "ms") for rt in ("zrun", "crun", "runc")]
rows.append(ratio("parallel run ratio (crun)", "par_run", "zrun", "crun"))
rows.append(ratio("parallel run ratio (runc)", "par_run", "zrun", "runc"))
rows += [("failed runs (of 3 K)", "par_fail", rt, "") for rt in ("zrun", "crun", "runc")]
rows += [("leftovers after teardown", "leftovers K", rt, "") for rt in ("zrun", "crun", "runc")]
section("K parallel run", "K", ks, rows)

notes = []
fails = open(os.path.join(data, "failures")).read().strip()
if fails:
    notes.append("Failures:\n\n" + "\n".join("    " + l for l in fails.splitlines()))
lo = os.path.join(data, "leftovers.txt")
if os.path.exists(lo) and open(lo).read().strip():
    notes.append("Leftovers:\n\n" + "\n".join("    " + l for l in open(lo).read().splitlines()))

text = "```text\n%s\n```\n\n%s\n%s" % (head, "\n".join(out), "\n\n".join(notes) + ("\n" if notes else ""))
print(text)

if md_path != "-":
    # The generated part replaces what is between the markers; the prose
    # around it (written by hand) stays.
    begin, end = "<!-- bench/scale: begin -->", "<!-- bench/scale: end -->"
    old = open(md_path).read() if os.path.exists(md_path) else "%s\n%s\n" % (begin, end)
    if begin not in old:
        old += "\n%s\n%s\n" % (begin, end)
    pre, rest = old.split(begin, 1)
    post = rest.split(end, 1)[1] if end in rest else "\n"
    with open(md_path, "w") as f:
        f.write(pre + begin + "\n" + text + end + post)

if plot_path != "-":
    def series(key, rt, path, app=None):
        """the points of one line; app: the N section's rows of that app"""
        d = res.get((key, rt), {})
        if app:
            d = {x.split("/")[0]: v for x, v in d.items() if x.endswith("/" + app)}
        with open(path, "w") as f:
            for x in sorted(d, key=int):
                f.write("%s %s\n" % (x, float(d[x]) / (1000 if key in ("deploy", "redeploy", "up_all", "abort") else 1)))
        return bool(d)

    plots = []
    for title, key, rts, xlabel, ylabel in (
            ("N services: bring-up until every one answers", "up_all", ("zrun", "pm2", "crun", "runc"), "N services", "s"),
            ("N services: manager own PSS per service", "own_pss", ("zrun", "pm2"), "N services", "KB"),
            ("R replicas: deploy", "deploy", modes, "R replicas", "s"),
            ("R replicas: redeploy under load", "redeploy", modes, "R replicas", "s"),
            ("K parallel run /bin/true", "par_run", ("zrun", "crun", "runc"), "K", "ms"),
            ("R replicas: abort of a release crashing at start", "abort", modes[:3], "R replicas", "s")):
        lines = []
        for rt in rts:
            for app in (APPS if xlabel == "N services" else (None,)):
                p = os.path.join(data, "plot-%s-%s-%s.dat" % (key, rt, app))
                if series(key, rt, p, app):
                    lines.append("'%s' using 1:2 with linespoints lw 2 title '%s'" %
                                 (p, rt + (" " + app if app else "")))
        if lines:
            plots.append("set title '%s'\nset xlabel '%s'\nset ylabel '%s'\nplot %s\n" %
                         (title, xlabel, ylabel, ", ".join(lines)))
    gp = os.path.join(data, "scale.gp")
    with open(gp, "w") as f:
        f.write("set terminal pngcairo size 1500,1000 font 'sans,10'\nset output '%s'\n" % plot_path)
        load = [l.split("load at start ")[-1] for l in head.splitlines() if "load at start" in l]
        f.write("set multiplot layout 2,3 title 'bench/scale, %s (load average at start %s)'\n" %
                ("quick mode" if "--quick" in head else "full run", load[0] if load else "?"))
        f.write("set logscale xy\nset grid\nset key top left\n")
        f.write("".join(plots))
        f.write("unset multiplot\n")
    subprocess.run(["gnuplot", gp], check=True)
