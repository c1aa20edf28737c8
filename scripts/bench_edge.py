#!/usr/bin/python3
"""scripts/bench_edge.py - how many alerts a second the centre takes from
many edge nodes at once (issue 17's benchmark), on SQLite and on
PostgreSQL, same run.

For each database it starts `lfr serve` over HTTPS (a self-signed
certificate), enrols and approves NODES simulated nodes (keys of their
own, every request signed as `lfr edge` signs it: PyNaCl, Debian's
python3-nacl), places one live deployment with one reviewed entry on each,
then each node sends sealed alerts (a crop of CROP bytes) one after
another on its own keep-alive connection for SECONDS. Every alert is a new
one (its own origin): the centre opens it, checks it, stores it with its
crop sealed, audits it and announces it. Prints a Markdown table: alerts
accepted a second, and the latency percentiles of one alert.

Usage: scripts/bench_edge.py [--lfr build/lfr] [--nodes 16] [--seconds 15]
           [--crop 6000] [--data ../shared/data]
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey

from bench_server import PW, both_databases, live_deployment, serve
from lfr_api import Session


class Node:
    """A simulated edge node: its keys, its id, one HTTPS connection."""

    def __init__(self, host, port, cafile):
        self.sign = SigningKey.generate()
        self.box = PrivateKey.generate()
        self.id = 0
        self.conn = http.client.HTTPSConnection(
            host, port, timeout=60, context=ssl.create_default_context(cafile=cafile))

    def post(self, path, doc):
        """(status, answer); the connection made again once if the server
        had closed it (idle while the other nodes were set up)."""
        try:
            return self.post_once(path, doc)
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return self.post_once(path, doc)

    def post_once(self, path, doc):
        body = json.dumps(doc).encode()
        now = str(int(time.time() * 1000))
        digest = hashlib.sha256(b"lfr-node-request-1\n" + b"POST\0" + path.encode() + b"\0" +
                                now.encode() + b"\0" + hashlib.sha256(body).digest()).digest()
        sig = base64.b64encode(self.sign.sign(digest).signature).decode()
        self.conn.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "X-LFR-Node": str(self.id), "X-LFR-Time": now,
            "X-LFR-Signature": sig})
        resp = self.conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")


def run_nodes(nodes, deps, entries, centre_pk, seconds, crop):
    """Each node sends alerts for its deployment until the time is up:
    (alerts accepted, seconds taken, latencies in ms, failures)."""
    sealer = SealedBox(PublicKey(centre_pk))
    crop_b64 = base64.b64encode(os.urandom(crop)).decode()
    results = [[] for _ in nodes]
    failures = [0] * len(nodes)
    start = time.time()
    stop_at = start + seconds

    def work(i):
        n = 0
        while time.time() < stop_at:
            alert = {"origin": "%d-%s" % (nodes[i].id, os.urandom(16).hex()),
                     "deployment": deps[i], "entry": entries[i], "camera": "cam1",
                     "time_ms": int(time.time() * 1000), "track": n, "score": 0.8,
                     "crop": crop_b64}
            sealed = base64.b64encode(sealer.encrypt(json.dumps(alert).encode())).decode()
            t0 = time.time()
            status, _ = nodes[i].post("/api/node/alerts", {"sealed": sealed})
            if status == 201:
                results[i].append((time.time() - t0) * 1000)
            else:
                failures[i] += 1
            n += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(nodes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = sorted(x for r in results for x in r)
    return len(latencies), time.time() - start, latencies, sum(failures)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfr", default=os.path.join(here, "../build/lfr"))
    ap.add_argument("--data", default=os.path.join(here, "../../shared/data"))
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--crop", type=int, default=6000, help="bytes of each alert's crop")
    args = ap.parse_args()
    photo = os.path.join(args.data, "samples/facenet_pytorch/data/test_images/kate_siegel/1.jpg")
    tmp = tempfile.mkdtemp(prefix="lfr-bench-edge.")
    cert = (os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    cert[1], "-out", cert[0], "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    rows = []
    try:
        with both_databases() as databases:
            for label, db in databases:
                sub = os.path.join(tmp, label)
                os.makedirs(sub)
                server, url = serve(args.lfr, sub, db, cert)
                try:
                    port = int(url.rsplit(":", 1)[1])
                    admin = Session(url, cafile=cert[0]).login("admin", PW)
                    nodes, deps, entries, centre_pk = [], [], [], None
                    for i in range(args.nodes):
                        node = Node("127.0.0.1", port, cert[0])
                        code = admin.call("POST", "/api/nodes/codes",
                                          {"name": "bench-%d" % i})["code"]
                        status, doc = node.post("/api/nodes/enrol", {
                            "name": "bench-%d" % i, "code": code,
                            "sign_pk": base64.b64encode(bytes(node.sign.verify_key)).decode(),
                            "box_pk": base64.b64encode(bytes(node.box.public_key)).decode()})
                        if status != 201:
                            sys.exit("bench_edge: enrolment refused: %s" % doc)
                        node.id = doc["id"]
                        centre_pk = base64.b64decode(doc["centre_box_pk"])
                        admin.call("POST", "/api/nodes/%d/approve" % node.id)
                        dep, entry = live_deployment(url, "edge %d" % i, "rtsp://van/cam1",
                                                     photo, node=node.id, cafile=cert[0])
                        Session(url, cafile=cert[0]).login("operator", PW).call(
                            "POST", "/api/deployments/%d/start" % dep)
                        nodes.append(node)
                        deps.append(dep)
                        entries.append(entry)
                    n, took, lat, failed = run_nodes(nodes, deps, entries, centre_pk,
                                                     args.seconds, args.crop)
                    pct = {p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] if lat else 0
                           for p in (50, 90, 99)}
                    rows.append((label, n / took, pct, failed))
                finally:
                    server.terminate()
                    server.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d simulated nodes, %d s, one alert at a time each (a %d-byte crop), HTTPS "
          "keep-alive" % (args.nodes, args.seconds, args.crop))
    print("| database | alerts/s accepted | p50 | p90 | p99 | refused |")
    print("|---|---|---|---|---|---|")
    for label, rate, pct, failed in rows:
        print("| %s | %.0f | %.1f ms | %.1f ms | %.1f ms | %d |" % (
            label, rate, pct[50], pct[90], pct[99], failed))


if __name__ == "__main__":
    main()
