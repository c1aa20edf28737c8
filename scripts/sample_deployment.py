#!/usr/bin/python3
"""scripts/sample_deployment.py - sets up a sample deployment on a running
`lfr serve`, through its API, the way officers would through the console:
one named user per role, a deployment with every DEP-4 field, the Hamilton
clip as its camera, the two performers on its watchlist, reviewed,
authorised, and (with --start) live.

Usage: scripts/sample_deployment.py [--url http://127.0.0.1:8080]
           [--admin-password-file FILE] [--data ../shared/data] [--start]
The administrator's password is read from the file, or from $LFR_ADMIN_PASSWORD.
The users it creates all have the password 'sample-password-123' (change
them before any real use). Prints what it did, and each user's name.
"""
import argparse
import base64
import http.client
import json
import os
import sys
import urllib.parse
from datetime import datetime, timedelta, timezone

SAMPLE_PASSWORD = "sample-password-123"
USERS = [
    ("pc.smith", ["applicant"], None),
    ("supt.jones", ["authoriser"], "superintendent"),
    ("sgt.white", ["reviewer"], "sergeant"),
    ("op.brown", ["operator"], None),
    ("pc.green", ["engagement"], None),
    ("dpo.grey", ["auditor"], None),
    ("pcc.black", ["oversight"], None),
]


class Session:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port or 80
        self.cookie = self.csrf = None

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.getheader("Set-Cookie"):
            self.cookie = resp.getheader("Set-Cookie").split(";")[0]
        conn.close()
        doc = json.loads(data) if data else None
        if resp.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, resp.status, doc))
        return doc

    def login(self, name, password):
        self.csrf = self.call("POST", "/api/login", {"name": name, "password": password})["csrf"]
        return self


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--admin-password-file")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--start", action="store_true", help="also start it (its camera runs)")
    args = ap.parse_args()
    if args.admin_password_file:
        with open(args.admin_password_file) as f:
            admin_pw = f.readline().strip()
    else:
        admin_pw = os.environ.get("LFR_ADMIN_PASSWORD", "")
    if not admin_pw:
        sys.exit("sample_deployment: give --admin-password-file or set LFR_ADMIN_PASSWORD")
    clip = os.path.realpath(os.path.join(args.data, "video/face_recognition_hamilton"))
    if not os.path.isdir(clip):
        sys.exit("sample_deployment: no Hamilton clip under %s (use --data)" % args.data)

    admin = Session(args.url).login("admin", admin_pw)
    existing = {u["name"] for u in admin.call("GET", "/api/users")}
    for name, roles, rank in USERS:
        if name not in existing:
            admin.call("POST", "/api/users",
                       {"name": name, "roles": roles, "rank": rank, "password": SAMPLE_PASSWORD})
    s = {name: Session(args.url).login(name, SAMPLE_PASSWORD) for name, _, _ in USERS}

    app = s["pc.smith"]
    dep = app.call("POST", "/api/deployments", {"name": "Op Hamilton (sample)"})["id"]
    floor = app.call("GET", "/api/deployments/%d" % dep)["limits"]["threshold_floor"]
    now = datetime.now(timezone.utc)
    fields = {
        "purpose": "sample: locate two people wanted on warrant at the theatre",
        "intelligence_case": "sample intelligence report 2026/001",
        "necessity": "sample: serious offences, a single evening",
        "less_intrusive": "sample: officers at the doors could not cover the crowd",
        "start": (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ"),
        "end": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%MZ"),
        "watchlist_criteria": "wanted on warrant for offences carrying 2+ years",
        "watchlist_categories": "wanted",
        "watchlist_size": "2",
        "threshold": "%.3f" % (floor + 0.0005),
        "engagement_plan": "two engagement officers by the camera",
        "public_notice": "force website and signs at each entrance",
        "dpia_ref": "DPIA-SAMPLE", "equality_ref": "EIA-SAMPLE", "community_ref": "CIA-SAMPLE",
        "pcc_informed": "yes", "expected_footfall": "2000",
    }
    for k, v in fields.items():
        app.call("POST", "/api/deployments/%d/fields" % dep, {"field": k, "value": v})
    app.call("POST", "/api/deployments/%d/locations" % dep,
             {"name": "Theatre foyer", "reason": "where the intelligence places them"})
    app.call("POST", "/api/deployments/%d/cameras" % dep,
             {"name": "foyer-1", "source": os.path.join(clip, "short_hamilton_clip.mp4"),
              "location": "Theatre foyer"})
    for ref, photo in (("SAMPLE 01/LMM", "lin-manuel-miranda.png"),
                       ("SAMPLE 02/AL", "alex-lacamoire.png")):
        with open(os.path.join(clip, photo), "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        entry = app.call("POST", "/api/deployments/%d/watchlist" % dep, {
            "person_ref": ref, "category": "wanted", "reason": "sample: wanted on warrant",
            "source": "sample custody image", "legal_basis": "PACE s.64A",
            "photo_date": (now - timedelta(days=300)).strftime("%Y-%m-%d"),
            "photo_base64": b64})["id"]
        s["sgt.white"].call("POST", "/api/watchlist/%d/review" % entry)
    app.call("POST", "/api/deployments/%d/submit" % dep)
    s["supt.jones"].call("POST", "/api/deployments/%d/authorise" % dep, {})
    print("deployment %d authorised (threshold %s, floor %.3f)" % (dep, fields["threshold"], floor))
    if args.start:
        s["op.brown"].call("POST", "/api/deployments/%d/start" % dep)
        print("deployment %d is live: its camera plays the Hamilton clip" % dep)
    print("users (password %s): %s" % (SAMPLE_PASSWORD, ", ".join(u[0] for u in USERS)))


if __name__ == "__main__":
    main()
