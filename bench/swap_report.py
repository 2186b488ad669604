#!/usr/bin/env python3
"""bench/swap_report.py DATA REDEPLOYS PLOT: the tables and the plot of bench/swap.

DATA holds, per run NAME = METHOD-LOAD: NAME.log (bench/loadgen's per-request
log: start_us latency_us result version), NAME.events (one line per redeploy:
i t_cmd_us t_returned_us t_old_gone_us new_version), NAME.start (t0_us
duration_s), and swap-LOAD-i.json (`zrun swap --format json`). PLOT is a PNG
path, or "-" for none.
"""
import json
import os
import statistics
import subprocess
import sys

METHODS = ["naive", "zrun", "pm2"]
LOADS = ["keepalive", "close"]
LOAD_LABEL = {"keepalive": "keep-alive", "close": "connection per request"}
BUCKET_US = 100_000


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def load_run(data, name):
    with open(os.path.join(data, name + ".start")) as f:
        t0, duration = (int(x) for x in f.read().split())
    events = []
    with open(os.path.join(data, name + ".events")) as f:
        for line in f:
            i, t_cmd, t_ret, t_gone, ver = line.split()
            events.append((int(i), int(t_cmd), int(t_ret), int(t_gone), ver))
    start, lat, res, ver = [], [], [], []
    with open(os.path.join(data, name + ".log")) as f:
        for line in f:
            a = line.split()
            if len(a) != 4:
                continue
            start.append(int(a[0]))
            lat.append(int(a[1]))
            res.append(int(a[2]))
            ver.append(a[3])
    return t0, duration, events, start, lat, res, ver


def ok(r):
    return 200 <= r < 300


def analyse(run):
    t0, duration, events, start, lat, res, ver = run
    n = len(start)
    t_end = t0 + duration * 1_000_000
    rows = []
    for k, (i, t_cmd, t_ret, t_gone, new) in enumerate(events):
        slot_end = events[k + 1][1] if k + 1 < len(events) else t_end
        # first success from the new version, by completion time
        t_new = None
        for j in range(n):
            done = start[j] + lat[j]
            if done >= t_cmd and ok(res[j]) and ver[j] == new and (t_new is None or done < t_new):
                t_new = done
        t_done = max(t_ret, t_gone, t_new or t_ret)
        failed = non2xx = 0
        window_lat = []
        completions = []
        for j in range(n):
            s = start[j]
            if t_cmd <= s < slot_end and not ok(res[j]):
                if res[j] < 0:
                    failed += 1
                else:
                    non2xx += 1
            if t_cmd <= s <= t_done and ok(res[j]):
                window_lat.append(lat[j])
            done = s + lat[j]
            if ok(res[j]) and t_cmd - 500_000 <= done <= t_done + 500_000:
                completions.append(done)
        window_lat.sort()
        completions.sort()
        gap = max((b - a for a, b in zip(completions, completions[1:])), default=0)
        window_s = max(t_done - t_cmd, 1) / 1e6
        rows.append({
            "i": i, "new": new,
            "failed": failed, "non2xx": non2xx,
            "p50": pct(window_lat, 50) / 1000, "p99": pct(window_lat, 99) / 1000,
            "max": (window_lat[-1] if window_lat else float("nan")) / 1000,
            "gap": gap / 1000,
            "new_ms": (t_new - t_cmd) / 1000 if t_new else float("nan"),
            "gone_ms": (t_gone - t_cmd) / 1000,
            "cmd_ms": (t_ret - t_cmd) / 1000,
            "rps": len(window_lat) / window_s,
        })
    first_cmd = events[0][1] if events else t_end
    steady = [lat[j] for j in range(n) if t0 + 500_000 <= start[j] < first_cmd and ok(res[j])]
    steady.sort()
    steady_s = max(first_cmd - t0 - 500_000, 1) / 1e6
    base_fail = sum(1 for j in range(n) if start[j] < first_cmd and not ok(res[j]))
    return rows, {"rps": len(steady) / steady_s, "p50": pct(steady, 50) / 1000,
                  "p99": pct(steady, 99) / 1000, "failed_before": base_fail}


def med(values):
    v = [x for x in values if x == x]
    if not v:
        return "-"
    m = statistics.median(v)
    integral = all(float(x).is_integer() for x in v)
    fmt = (lambda x: f"{x:.0f}") if integral or max(v) >= 100 else (lambda x: f"{x:.1f}")
    return f"{fmt(m)} ({fmt(min(v))}-{fmt(max(v))})"


def zrun_steps(data, load, redeploys):
    out = []
    for i in range(1, redeploys + 1):
        path = os.path.join(data, f"swap-{load}-{i}.json")
        if not os.path.exists(path):
            continue
        steps = {}
        with open(path) as f:
            for line in f:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                steps[o["step"]] = o["elapsed_ms"]
        if not all(k in steps for k in ("started", "ready", "draining", "drained", "done")):
            continue
        total = steps["done"]
        ready_wait = steps["ready"] - steps["started"]
        drain = steps["drained"] - steps["draining"]
        out.append({"start": steps["started"], "ready": ready_wait,
                    "signal": steps["draining"] - steps["ready"], "drain": drain,
                    "finish": total - steps["drained"], "total": total,
                    "own": total - ready_wait - drain})
    return out


def plot(data, runs, path):
    cmds = []
    for r, load in enumerate(LOADS):
        for method in METHODS:
            name = f"{method}-{load}"
            if name not in runs:
                continue
            t0, duration, events, start, lat, res, ver = runs[name]
            buckets = {}
            for j in range(len(start)):
                b = (start[j] + lat[j] - t0) // BUCKET_US
                e = buckets.setdefault(b, [0, 0, []])
                if ok(res[j]):
                    e[0] += 1
                    e[2].append(lat[j])
                else:
                    e[1] += 1
            dat = os.path.join(data, name + ".dat")
            with open(dat, "w") as f:
                for b in range(0, duration * 10 + 1):
                    okc, failc, lats = buckets.get(b, [0, 0, []])
                    lats.sort()
                    f.write("%.1f %d %d %s %s\n" % (
                        b / 10, okc * 10, failc * 10,
                        "%.3f" % (pct(lats, 50) / 1000) if lats else "NaN",
                        "%.3f" % (lats[-1] / 1000) if lats else "NaN"))
            top = max([e[0] for e in buckets.values()] + [1]) * 10 * 1.35
            marks = "".join(
                f"set arrow from {(e[1] - t0) / 1e6:.3f}, graph 0 to {(e[1] - t0) / 1e6:.3f}, graph 1 "
                f"nohead lc rgb '#444444' dt 2 lw 1.5 front\n" for e in events)
            cmds.append(
                "unset arrow\n" + marks +
                f"set yrange [0:{top:.0f}]\n"
                f"set title '{method}, {LOAD_LABEL[load]}' noenhanced\n"
                f"plot '{dat}' u 1:2 w l lc rgb '#1f77b4' lw 1.5 t 'ok req/s', "
                f"'' u 1:3 w impulses lc rgb '#d62728' lw 2 t 'failed/s (clipped)', "
                f"'' u 1:4 axes x1y2 w l lc rgb '#2ca02c' t 'p50 latency', "
                f"'' u 1:5 axes x1y2 w p pt 7 ps 0.3 lc rgb '#ff7f0e' t 'max latency'\n")
    script = (
        f"set terminal pngcairo size 1600,1300 font 'sans,10'\n"
        f"set output '{path}'\n"
        "set multiplot layout 3,2 columnsfirst title 'bench/swap: node-api under load, "
        "redeploys at the dashed lines (100 ms buckets)'\n"
        "set xlabel 'time (s)'\nset ylabel 'requests/s (per 100 ms bucket)'\n"
        "set y2label 'latency (ms)'\nset logscale y2\nset y2range [0.05:300]\nset y2tics\nset ytics nomirror\n"
        "set key top left horizontal font ',8'\nset grid\n")
    script += "".join(cmds) + "unset multiplot\n"
    with open(os.path.join(data, "plot.gp"), "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", os.path.join(data, "plot.gp")], check=True)


def main():
    data, redeploys, plot_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    runs, results = {}, {}
    for load in LOADS:
        for method in METHODS:
            name = f"{method}-{load}"
            if os.path.exists(os.path.join(data, name + ".events")):
                runs[name] = load_run(data, name)
                results[name] = analyse(runs[name])

    print("## Per redeploy (latency of the requests sent from the command until the new "
          "version serves and the old one is gone)\n")
    for load in LOADS:
        for method in METHODS:
            name = f"{method}-{load}"
            if name not in results:
                continue
            rows, steady = results[name]
            print(f"### {method}, {LOAD_LABEL[load]} (steady before: {steady['rps']:.0f} req/s, "
                  f"p50 {steady['p50']:.2f} ms, p99 {steady['p99']:.2f} ms, "
                  f"{steady['failed_before']} failed)\n")
            print("| # | to | failed | non-2xx | p50 ms | p99 ms | max ms | longest without a response, ms "
                  "| new serving, ms | old gone, ms | command, ms | req/s in window |")
            print("|---|----|-------:|--------:|-------:|-------:|-------:|------:|------:|------:|------:|------:|")
            for x in rows:
                print(f"| {x['i']} | {x['new']} | {x['failed']} | {x['non2xx']} | {x['p50']:.2f} | "
                      f"{x['p99']:.2f} | {x['max']:.1f} | {x['gap']:.0f} | {x['new_ms']:.0f} | "
                      f"{x['gone_ms']:.0f} | {x['cmd_ms']:.0f} | {x['rps']:.0f} |")
            print()

    print("## Summary: median (min-max) per redeploy\n")
    print("| method | load | failed + non-2xx | p99 ms in window | max ms | longest without a response, ms "
          "| new serving, ms | old gone, ms | steady req/s | req/s in window |")
    print("|--------|------|-----------------:|------:|------:|------:|------:|------:|------:|------:|")
    for load in LOADS:
        for method in METHODS:
            name = f"{method}-{load}"
            if name not in results:
                continue
            rows, steady = results[name]
            print(f"| {method} | {LOAD_LABEL[load]} | {med([x['failed'] + x['non2xx'] for x in rows])} | "
                  f"{med([x['p99'] for x in rows])} | {med([x['max'] for x in rows])} | "
                  f"{med([x['gap'] for x in rows])} | {med([x['new_ms'] for x in rows])} | "
                  f"{med([x['gone_ms'] for x in rows])} | {steady['rps']:.0f} | {med([x['rps'] for x in rows])} |")
    print()

    swaps = [s for load in LOADS for s in zrun_steps(data, load, redeploys)]
    if swaps:
        print(f"## zrun swap steps (`zrun swap --format json`), ms, median (min-max) of {len(swaps)} swaps\n")
        print("| start NEW | NEW ready (app start + probes) | ready -> SIGTERM | OLD drain (app) "
              "| delete OLD | total | zrun's own (total - ready - drain) |")
        print("|------:|------:|------:|------:|------:|------:|------:|")
        print("| " + " | ".join(med([s[k] for s in swaps]) for k in
                                ("start", "ready", "signal", "drain", "finish", "total", "own")) + " |")
        print()

    if plot_path != "-":
        plot(data, runs, plot_path)
        print(f"plot: {plot_path}")


if __name__ == "__main__":
    main()
