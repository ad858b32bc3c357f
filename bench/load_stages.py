"""`make bench-load`'s stages: one k6 run (bench/load.js) per number of VUs, one after the other, each measured
between the markers load.js logs when its stage starts and ends.

Per stage: what k6 counted and timed; the CPU time of the service process, of k6 and of PostgreSQL (its server and
backends) over the stage, from /proc/PID/stat utime + stime, as a share of one core and of the machine (with the
whole machine's busy share from /proc/stat, so that other work on it shows); and the service's own mean times over
the stage from its Prometheus /metrics (the deltas of the histograms' _sum and _count: the recognise_user route as
the HTTP server timed it, and each pipeline stage). Over the whole set: the requests, rate and latency of every
stage together, as k6's end-of-test summary of a single run through the same stages would give them (the latency
percentiles from every answered call, which k6 writes out as CSV).

Usage: load_stages.py NAME PEOPLE_JSON QUERIES_JSON "VUS..." OUT_JSON
with, in the environment, LOAD_K6 (the k6 binary), LOAD_SCRIPT (load.js), LOAD_URL (the service's base URL),
LOAD_METRICS_URL, LOAD_SERVICE_PID, LOAD_POSTMASTER_PID_FILE (the cluster's postmaster.pid), LOAD_DURATION (of a
stage, as k6 takes it) and LOAD_WORK (where k6's summaries, CSV and logs go: k6-NAME-VUS.{json,csv,log}).
"""
import csv
import json
import os
import subprocess
import sys
import time

from load_measure import cpu, latency, machine_ticks, mean_ms, metrics, postgres_ticks, process_ticks

START, END = "facematrix-load: stage start", "facematrix-load: stage end"
HTTP_ROUTE = "/api/v1/recognise_user"


def sample(config, k6_pid):
    """What a stage is measured by, now."""
    return {"t": time.monotonic(), "service": process_ticks(config["service_pid"]), "k6": process_ticks(k6_pid),
            "postgres": postgres_ticks(config["postmaster"]), "machine": machine_ticks(),
            "metrics": metrics(config["metrics_url"])}


def k6_command(config, vus, files):
    variables = {"LOAD_URL": config["url"], "LOAD_VUS": vus, "LOAD_DURATION": config["duration"],
                 "LOAD_PEOPLE_FILE": config["people"], "LOAD_QUERIES_FILE": config["queries"],
                 "LOAD_SUMMARY": files["summary"]}
    command = [config["k6"], "run", "--no-usage-report", "--quiet", "--out", f"csv={files['csv']}"]
    for name, value in variables.items():
        command += ["-e", f"{name}={value}"]
    return command + [config["script"]]


def run_k6(config, vus, files):
    """Runs one stage; (sample at its start, sample at its end). k6's log goes to files["log"]."""
    marks = {}
    with open(files["log"], "w") as log:
        # stdout has nothing but load.js's summary lines (the figures are taken from the summary file).
        k6 = subprocess.Popen(k6_command(config, vus, files), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        for line in k6.stderr:
            log.write(line)
            for mark in (START, END):
                if mark in line:
                    marks[mark] = sample(config, k6.pid)
        status = k6.wait()
    if status != 0 or len(marks) != 2:
        tail = open(files["log"]).read().splitlines()[-20:]
        sys.exit("\n".join(tail) + f"\nk6 ({vus} VUs) exited with {status}; its log: {files['log']}")
    return marks[START], marks[END]


def calls(path):
    """From k6's CSV output: the durations (ms) of the answered calls (k6's expected responses), and the number of
    calls per HTTP status (0: no answer)."""
    durations, statuses = [], {}
    with open(path, newline="") as rows:
        for row in csv.DictReader(rows):
            if row["metric_name"] != "http_req_duration":
                continue
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
            if row["expected_response"] == "true":
                durations.append(float(row["metric_value"]))
    return durations, dict(sorted(statuses.items()))


def k6_log(path):
    """The first lines of k6's log that say something (load.js's notes of the first failures of each VU)."""
    lines = [line.strip() for line in open(path) if "facematrix-load:" not in line]
    return [line for line in lines if 'msg="Request Failed"' not in line][:10]


def k6_counts(summary):
    """The counts load.js keeps, and the latency of the answered calls, from k6's summary."""
    metrics = summary["metrics"]
    answered = metrics.get("http_req_duration{expected_response:true}", {}).get("values", {})

    def count(name):
        return int(metrics[name]["values"]["count"]) if name in metrics else 0

    return {"requests": count("http_reqs"), "matched": count("load_matches"), "failed": count("load_errors"),
            "failed_by_kind": {"no_answer": count("load_errors_network"), "http_4xx": count("load_errors_4xx"),
                               "http_5xx": count("load_errors_5xx"), "200_not_json": count("load_errors_bad_body")},
            "misses": count("load_non_matches"), "misses_wrong_person": count("load_wrong_person"),
            "k6_test_run_s": round(summary["state"]["testRunDurationMs"] / 1000, 2),
            "latency_ms_of_answered": {k: round(answered.get(v, 0.0), 1) for k, v in
                                       (("mean", "avg"), ("p50", "p(50)"), ("p95", "p(95)"), ("p99", "p(99)"),
                                        ("max", "max"))}}


def stage_record(vus, marks, files):
    """Everything measured of one stage, and the durations of its answered calls."""
    before, after = marks
    window = after["t"] - before["t"]
    record = {"vus": vus, "window_s": round(window, 3)}
    record.update(k6_counts(json.load(open(files["summary"]))))
    durations, record["answers_by_status"] = calls(files["csv"])
    record["k6_log"] = k6_log(files["log"])
    record["req_per_s"] = round(record["requests"] / window, 2)
    record["ok_per_s"] = round((record["requests"] - record["failed"]) / window, 2)
    record["cpu"] = cpu(before, after, window)
    pipeline = mean_ms(before["metrics"]["pipeline"], after["metrics"]["pipeline"])
    record["service_metrics"] = {"http_server": mean_ms(before["metrics"]["http"],
                                                        after["metrics"]["http"]).get(HTTP_ROUTE),
                                 "pipeline": pipeline}
    return record, durations


def added_up(counts):
    """{key: count} added up over dicts of counts, in key order."""
    total = {}
    for key, count in (pair for one in counts for pair in one.items()):
        total[key] = total.get(key, 0) + count
    return dict(sorted(total.items()))


def overall(records, durations):
    """Every stage of the set together, as one k6 run through them would summarise it."""
    window = sum(r["window_s"] for r in records)
    requests = sum(r["requests"] for r in records)
    totals = {key: sum(r[key] for r in records) for key in ("failed", "misses", "misses_wrong_person")}
    statuses = added_up(r["answers_by_status"] for r in records)
    return {"vus": [r["vus"] for r in records], "window_s": round(window, 2), "requests": requests,
            "req_per_s": round(requests / window, 2) if window else 0.0,
            "ok_per_s": round((requests - totals["failed"]) / window, 2) if window else 0.0, **totals,
            "answers_by_status": statuses,
            "latency_ms_of_answered": latency(durations)}


def configuration():
    name, people, queries, vus = sys.argv[1:5]
    e = os.environ
    return {"name": name, "people": people, "queries": queries, "vus": [int(v) for v in vus.split()],
            "k6": e["LOAD_K6"], "script": e["LOAD_SCRIPT"], "url": e["LOAD_URL"], "metrics_url": e["LOAD_METRICS_URL"],
            "service_pid": int(e["LOAD_SERVICE_PID"]), "duration": e["LOAD_DURATION"], "work": e["LOAD_WORK"],
            "postmaster": int(open(e["LOAD_POSTMASTER_PID_FILE"]).readline())}


def main():
    config = configuration()
    records, every = [], []
    for vus in config["vus"]:
        stem = f"{config['work']}/k6-{config['name']}-{vus}"
        files = {"summary": f"{stem}.json", "csv": f"{stem}.csv", "log": f"{stem}.log"}
        print(f"{config['name']}: {vus} VUs for {config['duration']}", file=sys.stderr)
        record, durations = stage_record(vus, run_k6(config, vus, files), files)
        print(f"  {record['requests']} requests, {record['req_per_s']} req/s, "
              f"mean {record['latency_ms_of_answered']['mean']} ms, failed {record['failed']}", file=sys.stderr)
        records.append(record)
        every += durations
    json.dump({"stages": records, "overall": overall(records, every)}, open(sys.argv[5], "w"), indent=2)


if __name__ == "__main__":
    main()
