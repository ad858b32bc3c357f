"""What bench/load_stages.py measures a stage by: the CPU time of processes and of the whole machine (/proc), the
service's Prometheus histograms (/metrics), and latency statistics.
"""
import os
import re
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count()
LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (the first is the state), or None when it is gone."""
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_ticks(pid, children=False):
    """utime + stime of a process (with children: also those of its children that it has waited for)."""
    fields = stat_fields(pid)
    if fields is None:
        return 0
    return sum(int(f) for f in fields[11:15 if children else 13])


def postgres_ticks(postmaster):
    """CPU ticks of the PostgreSQL cluster: the postmaster, its ended children, and its running ones."""
    total = process_ticks(postmaster, children=True)
    for entry in os.listdir("/proc"):
        fields = stat_fields(entry) if entry.isdigit() else None
        if fields and int(fields[1]) == postmaster:
            total += process_ticks(entry)
    return total


def machine_ticks():
    """(busy, all) ticks of every CPU since boot, from /proc/stat (iowait counts as idle)."""
    values = [int(v) for v in open("/proc/stat").readline().split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)


def histogram_totals(text, name, label):
    """{value of LABEL: [sum, count]} of the Prometheus histogram NAME (its series of one label value added up)."""
    totals = {}
    for line in text.splitlines():
        match = LINE.match(line)
        if not match or match.group(1) not in (f"{name}_sum", f"{name}_count"):
            continue
        labels = dict(LABEL.findall(match.group(2) or ""))
        pair = totals.setdefault(labels.get(label, ""), [0.0, 0])
        pair[match.group(1).endswith("_count")] += float(match.group(3))
    return totals


def metrics(url):
    """The service's recognise_user route and pipeline stage histograms, as histogram_totals gives them."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    return {"http": histogram_totals(text, "http_server_request_duration", "http_route"),
            "pipeline": histogram_totals(text, "facematrix_pipeline_stage_seconds", "stage")}


def percentile(values, q):
    """The q-quantile (0..1) with linear interpolation between the closest ranks, as k6 computes it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def latency(durations):
    """mean, p50, p95, p99 and max (ms) of durations."""
    stats = {"mean": sum(durations) / len(durations) if durations else 0.0}
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
        stats[name] = percentile(durations, q)
    return {k: round(v, 1) for k, v in stats.items()}


def cpu(before, after, window):
    """Each process's CPU over the stage, in % of one core and of the machine; the whole machine's busy %, and the
    part of it that none of them used."""
    shares = {}
    for name in ("service", "k6", "postgres"):
        core = 100 * (after[name] - before[name]) / TICK / window
        shares[name] = {"cpu_s": round((after[name] - before[name]) / TICK, 2), "percent_of_core": round(core, 1),
                        "percent_of_machine": round(core / CORES, 1)}
    busy, total = (a - b for a, b in zip(after["machine"], before["machine"]))
    machine = 100 * busy / total if total else 0.0
    shares["machine_busy_percent"] = round(machine, 1)
    # What the rest of the machine used meanwhile (another build, another benchmark): it competed for the cores.
    measured = sum(100 * (after[n] - before[n]) / TICK / window / CORES for n in ("service", "k6", "postgres"))
    shares["others_percent_of_machine"] = round(max(0.0, machine - measured), 1)
    return shares


def mean_ms(before, after):
    """{key: {"mean_ms", "count"}} from the deltas of a histogram's [sum, count] pairs."""
    means = {}
    for key, (total, count) in after.items():
        total_before, count_before = before.get(key, [0.0, 0])
        calls = int(count - count_before)
        if calls > 0:
            means[key] = {"mean_ms": round(1000 * (total - total_before) / calls, 1), "count": calls}
    return means
