#!/usr/bin/python3
"""scripts/sample_deployment.py - sets up a sample deployment on a running
`lfr serve`, through its API, the way officers would through the console:
one named user per role, a deployment with every DEP-4 field, the Hamilton
clip as its camera, the two performers on its watchlist, reviewed,
authorised, and (with --start) live, followed until the clip ends: it says
how many alerts the camera raised, and if none, why.

Usage: scripts/sample_deployment.py [--url http://127.0.0.1:8080]
           [--admin-password-file FILE] [--data ../shared/data] [--start] [--floor T]
The administrator's password is read from the file, or from $LFR_ADMIN_PASSWORD.
The users it creates all have the password 'sample-password-123' (change
them before any real use). Prints what it did, and each user's name.
"""
import argparse
import base64
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from lfr_api import Session, complete_record

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--admin-password-file")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    ap.add_argument("--start", action="store_true", help="also start it (its camera runs)")
    ap.add_argument("--floor", type=float,
                    help="the threshold floor the sample's authorising officer sets, as a force "
                         "would after validating one on its own data (audited)")
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

    if args.floor is not None:
        s["supt.jones"].call("POST", "/api/settings/threshold-floor", {
            "floor": args.floor, "evidence": "sample: no validation, for trying the product only"})
        print("threshold floor set to %.3f by supt.jones" % args.floor)
    app = s["pc.smith"]
    dep = app.call("POST", "/api/deployments", {"name": "Op Hamilton (sample)"})["id"]
    floor = app.call("GET", "/api/deployments/%d" % dep)["limits"]["threshold_floor"]
    now = datetime.now(timezone.utc)
    fields = complete_record(now - timedelta(minutes=1), now + timedelta(hours=4),
                             "%.3f" % (floor + 0.0005), 2)
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
    print("users (password %s): %s" % (SAMPLE_PASSWORD, ", ".join(u[0] for u in USERS)))
    if args.start:
        s["op.brown"].call("POST", "/api/deployments/%d/start" % dep)
        print("deployment %d is live: its camera plays the Hamilton clip "
              "(the operator's console shows the alerts)" % dep)
        follow(s["op.brown"], dep)


def follow(operator, dep, limit_s=120):
    """Polls the monitor until the clip has played, then says what the
    camera did: the alerts it raised, or why there were none."""
    deadline = time.time() + limit_s
    last = None  # the camera as last seen running: its counts and state
    while time.time() < deadline:
        m = operator.call("GET", "/api/deployments/%d/monitor" % dep)
        running = [c for c in m["cameras"] if c["state"] != "stopped"]
        if running:
            last, threshold = running[0], m["threshold"]
        elif last:
            break
        time.sleep(0.5)
    else:
        print("the clip had not ended after %d s; the deployment stays live" % limit_s)
        return
    alerts = operator.call("GET", "/api/alerts?deployment=%d" % dep)
    if alerts:
        print("the clip has played: %d alert%s to review (threshold %.3f, best score %.3f)"
              % (len(alerts), "" if len(alerts) == 1 else "s", threshold,
                 max(a["score"] for a in alerts)))
        return
    why = ["camera %s: %s%s" % (last["name"], last["state"],
                                ": " + last["message"] if last["message"] else "")]
    seen = last["frames"] + last["dropped"]
    if seen and last["dropped"] * 10 > seen:
        why.append("%d of %d frames dropped: the machine did not keep up, so fewer views of the "
                   "performers were compared" % (last["dropped"], seen))
    if not last["faces"]:
        why.append("no face was tracked")
    else:
        why.append("%d faces tracked, none scoring %.3f or more against the watchlist (the "
                   "threshold cannot go under the floor; make sample FLOOR=T sets a lower one, "
                   "as a force would after validating it)" % (last["faces"], threshold))
    print("the clip has played: no alert. " + "; ".join(why))

if __name__ == "__main__":
    main()
