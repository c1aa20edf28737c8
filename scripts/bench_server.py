#!/usr/bin/python3
"""scripts/bench_server.py - the server under load: does `lfr serve` keep
serving the API while a camera pipeline runs, and does the pipeline keep its
frame rate while the API is loaded? (issue 7's acceptance.)

It starts `lfr serve` on a fresh database, sets up a live deployment through
the API whose camera plays a clip looped to LOOPS times its length at its own
frame rate, and runs it twice: once alone, once with `wrk` hammering the API
(GET /api/deployments, a database read under the session of an operator)
from another process for the whole run. Prints a Markdown table: requests
per second and latency percentiles from wrk; frames processed and dropped,
frames per second and p95 pipeline latency from the server's monitor.

With --databases, no camera: the API alone on SQLite and on a private
PostgreSQL (tests/pg_server.sh), same run, one table.

Usage: scripts/bench_server.py [--lfr build/lfr] [--clip VIDEO] [--loops 6]
           [--connections 32] [--wrk-nice N] [--data ../shared/data]
       scripts/bench_server.py --databases [--api-seconds 15]
"""
import argparse
import base64
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

from lfr_api import Session, complete_record

PW = "bench-password-123"


def looped_clip(src, loops, out):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", src,
                    "-c", "copy", out], check=True)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                            "csv=p=0", out], check=True, capture_output=True, text=True)
    return float(probe.stdout.strip())


def serve(lfr, tmp, db=None, cert=None):
    """`lfr serve` on a fresh database (a file in tmp, or the PostgreSQL
    URL db), over HTTPS with cert (a (certificate, key) pair), with one
    user per role the scripts use (password PW): (the process, its URL)."""
    with open(os.path.join(tmp, "pw"), "w") as f:
        f.write(PW + "\n")
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([lfr, "serve", "--listen", "127.0.0.1:0", "--db",
                               db or os.path.join(tmp, "lfr.db"), "--state-dir", tmp,
                               "--admin-password-file", os.path.join(tmp, "pw")]
                              + (["--cert", cert[0], "--key", cert[1]] if cert else []),
                              stdout=subprocess.PIPE, stderr=log, text=True)
    url = "%s://127.0.0.1:%d" % ("https" if cert else "http",
                                 int(server.stdout.readline().split()[-1]))
    admin = Session(url, cafile=cert and cert[0]).login("admin", PW)
    for name, roles, rank in (("applicant", ["applicant"], None),
                              ("authoriser", ["authoriser"], "superintendent"),
                              ("reviewer", ["reviewer"], "sergeant"),
                              ("operator", ["operator"], None)):
        admin.call("POST", "/api/users", {"name": name, "roles": roles, "rank": rank,
                                          "password": PW})
    return server, url


def live_deployment(url, name, clip, photo, node=None, cafile=None):
    """An authorised deployment with one reviewed entry and one camera
    playing clip; on the edge node node if given."""
    app = Session(url, cafile=cafile).login("applicant", PW)
    dep = app.call("POST", "/api/deployments", {"name": name})["id"]
    floor = app.call("GET", "/api/deployments/%d" % dep)["limits"]["threshold_floor"]
    now = datetime.now(timezone.utc)
    for k, v in complete_record(now - timedelta(minutes=1), now + timedelta(hours=1),
                                "%.3f" % (floor + 0.05), 1).items():
        app.call("POST", "/api/deployments/%d/fields" % dep, {"field": k, "value": v})
    app.call("POST", "/api/deployments/%d/locations" % dep, {"name": "gate", "reason": "footfall"})
    if node:
        app.call("POST", "/api/deployments/%d/node" % dep, {"node": node})
    app.call("POST", "/api/deployments/%d/cameras" % dep, {"name": "cam1", "source": clip})
    with open(photo, "rb") as f:
        entry = app.call("POST", "/api/deployments/%d/watchlist" % dep, {
            "person_ref": "BENCH 1", "category": "wanted", "reason": "benchmark",
            "source": "benchmark", "legal_basis": "benchmark", "photo_date": "2025-01-01",
            "photo_base64": base64.b64encode(f.read()).decode()})["id"]
    Session(url, cafile=cafile).login("reviewer", PW).call(
        "POST", "/api/watchlist/%d/review" % entry)
    app.call("POST", "/api/deployments/%d/submit" % dep)
    Session(url, cafile=cafile).login("authoriser", PW).call(
        "POST", "/api/deployments/%d/authorise" % dep, {})
    return dep, entry


def run_once(url, dep, duration, wrk_args, wrk_nice):
    op = Session(url).login("operator", PW)
    wrk = None
    if wrk_args is not None:
        wrk = subprocess.Popen(["nice", "-n", str(wrk_nice), "wrk", "--latency", "-d", "%ds" % int(duration), "-H",
                                "Cookie: " + op.cookie] + wrk_args + [url + "/api/deployments"],
                               stdout=subprocess.PIPE, text=True)
    op.call("POST", "/api/deployments/%d/start" % dep)
    p95, dropped = 0.0, 0
    t0 = time.time()
    while time.time() - t0 < duration * 3 + 30:
        m = op.call("GET", "/api/deployments/%d/monitor" % dep)
        if m["running"]:
            p95, dropped = m["latency_p95_ms"], m["cameras"][0]["dropped"]
        elif time.time() - t0 > 3:
            break
        time.sleep(0.5)
    cam = dict(m["cameras"][0], dropped=dropped)
    out = wrk.communicate()[0] if wrk else ""
    return cam, p95, out


def wrk_figures(out):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    pct = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    return (float(rps.group(1)) if rps else 0.0), pct


@contextlib.contextmanager
def both_databases():
    """Yields [(label, db)]: SQLite (None: a file) and a private PostgreSQL
    (tests/pg_server.sh) with a database "bench", stopped afterwards."""
    here = os.path.dirname(os.path.abspath(__file__))
    pg_dir = "/tmp/lfr-bench-pg-%d" % os.getpid()  # reachable by the user PostgreSQL runs as
    base = subprocess.run([os.path.join(here, "../tests/pg_server.sh"), "start", pg_dir],
                          check=True, capture_output=True, text=True).stdout.strip()
    try:
        subprocess.run(["psql", "-X", "-q", base.replace("///?", "///postgres?"), "-c",
                        "CREATE DATABASE bench"], check=True)
        yield [("SQLite", None), ("PostgreSQL", base.replace("///?", "///bench?"))]
    finally:
        subprocess.run([os.path.join(here, "../tests/pg_server.sh"), "stop", pg_dir])


def api_on_both(args, tmp):
    """The API alone on SQLite and on PostgreSQL, same run: wrk on GET
    /api/deployments (a session check and a read) under an operator's
    session, with a few deployments in the database."""
    with both_databases() as databases:
        rows = []
        for label, db in databases:
            sub = os.path.join(tmp, label)
            os.makedirs(sub)
            server, url = serve(args.lfr, sub, db)
            try:
                app = Session(url).login("applicant", PW)
                for i in range(10):
                    app.call("POST", "/api/deployments", {"name": "bench %d" % i})
                op = Session(url).login("operator", PW)
                out = subprocess.run(["nice", "-n", str(args.wrk_nice), "wrk", "--latency", "-d",
                                      "%ds" % args.api_seconds, "-t", "2", "-c",
                                      str(args.connections), "-H", "Cookie: " + op.cookie,
                                      url + "/api/deployments"],
                                     check=True, capture_output=True, text=True).stdout
                rows.append((label,) + wrk_figures(out))
            finally:
                server.terminate()
                server.wait(timeout=60)
        print("wrk: 2 threads, %d connections, %d s, nice %d, GET /api/deployments" % (
            args.connections, args.api_seconds, args.wrk_nice))
        print("| database | API req/s | p50 | p90 | p99 |")
        print("|---|---|---|---|---|")
        for label, rps, pct in rows:
            print("| %s | %.0f | %s | %s | %s |" % (label, rps, pct.get("50", "-"),
                                                   pct.get("90", "-"), pct.get("99", "-")))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfr", default=os.path.join(here, "../build/lfr"))
    ap.add_argument("--data", default=os.path.join(here, "../../shared/data"))
    ap.add_argument("--clip", default="video/facenet_pytorch/video.mp4")
    ap.add_argument("--loops", type=int, default=6)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--wrk-nice", type=int, default=0,
                    help="run wrk at this niceness: on a 2-core machine the load generator "
                         "itself competes with the pipeline, which a remote client would not")
    ap.add_argument("--databases", action="store_true",
                    help="no camera: the API alone on SQLite and on a private PostgreSQL")
    ap.add_argument("--api-seconds", type=int, default=15)
    args = ap.parse_args()
    photo = os.path.join(args.data, "samples/facenet_pytorch/data/test_images/kate_siegel/1.jpg")
    if not shutil.which("wrk"):
        sys.exit("bench_server: wrk is not installed (scripts/setup.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="lfr-bench-server.")
    server = None
    try:
        if args.databases:
            return api_on_both(args, tmp)
        clip = os.path.join(tmp, "clip.mp4")
        duration = looped_clip(os.path.join(args.data, args.clip), args.loops, clip)
        server, url = serve(args.lfr, tmp)
        rows = []
        for label, wrk_args in (("alone", None),
                                ("under wrk", ["-t", "2", "-c", str(args.connections)])):
            dep, _ = live_deployment(url, "bench " + label, clip, photo)
            cam, p95, out = run_once(url, dep, duration, wrk_args, args.wrk_nice)
            rps, pct = wrk_figures(out)
            rows.append((label, cam, p95, rps, pct))
        print("clip: %s looped %dx (%.1f s); wrk: 2 threads, %d connections, nice %d, "
              "GET /api/deployments" % (args.clip, args.loops, duration, args.connections,
                                        args.wrk_nice))
        print("| run | frames processed | dropped | pipeline fps | p95 latency | API req/s | p50 | p90 | p99 |")
        print("|---|---|---|---|---|---|---|---|---|")
        for label, cam, p95, rps, pct in rows:
            print("| %s | %d | %d | %.1f | %.0f ms | %s | %s | %s | %s |" % (
                label, cam["frames"], cam["dropped"], cam["frames"] / duration, p95,
                "%.0f" % rps if rps else "-", pct.get("50", "-"), pct.get("90", "-"),
                pct.get("99", "-")))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
