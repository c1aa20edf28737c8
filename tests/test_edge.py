"""tests/test_edge.py - edge nodes (issue 17 item 3) on loopback: a real
`lfr serve` over HTTPS (two on PostgreSQL) and real `lfr edge` nodes,
their link to the centre through a proxy the test can cut.

- A node enrols with its own keys and runs nothing until an administrator
  approves it; the deployment placed on it runs on it; its alerts reach the
  operators of every server; its link cut for 30 s (refused, then with the
  centre's answers lost) loses and duplicates no alert; a suspension stops
  its cameras; revoked, it is refused, audited, and wipes and exits; the
  audit chain verifies.
- A node watching people none of whom is on the watchlist (the Hamilton
  clip) writes nothing to disk and sends nothing but small requests
  (strace), while its counts reach the centre.

Usage: python3 -m unittest tests/test_edge.py with LFR_BIN, LFR_DATA,
LFR_TEST_TMP (and LFR_TEST_PG for PostgreSQL) set; CTest sets them.
"""
import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import (DATA, LFR, PG, PHOTO, PW, STOP_WITHIN_S, Client, ServerCase,  # noqa: E402
                      blank_png, db_exec, db_files)

SANITIZED = bool(os.environ.get("LFR_TEST_SANITIZED"))
HAMILTON = os.path.join(DATA, "video/face_recognition_hamilton/short_hamilton_clip.mp4")


class LinkProxy:
    """A TCP proxy between a node and the centre. mode "up" passes
    everything; "down" closes each connection at once (the link is cut);
    "mute" passes a request but, once a connection has carried a large
    upload (an alert), drops the centre's answer: the centre has the alert,
    the node never hears so."""

    MUTE_AFTER_BYTES = 4096

    def __init__(self, port):
        self.target = port
        self.mode = "up"
        self.muted = 0  # answers dropped after an upload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            threading.Thread(target=self.pipe, args=(client, self.mode), daemon=True).start()

    def pipe(self, client, mode):
        try:
            server = socket.create_connection(("127.0.0.1", self.target), timeout=30)
        except OSError:
            client.close()
            return
        sent_up, muting = 0, False
        socks = [client, server]
        try:
            while not self.closed:
                ready, _, _ = select.select(socks, [], [], 1.0)
                if self.mode == "down":
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        sent_up += len(data)
                        server.sendall(data)
                    elif mode == "mute" and sent_up > self.MUTE_AFTER_BYTES:
                        if not muting:
                            self.muted += 1
                            muting = True
                        # The answer is lost; the connection dies with it.
                        time.sleep(0.2)
                        return
                    else:
                        client.sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            server.close()

    def close(self):
        self.closed = True
        self.sock.close()


class EdgeTest(ServerCase):
    tls = True
    keys = {}  # node id: the key fingerprint its enrolment printed

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl to make a certificate")
        super().setUpClass()

    # ---- helpers ----

    def node(self, name, port):
        """A node's state folder, enrolled with the centre at port: (dir, id)."""
        folder = os.path.join(self.tmp, "node-" + name)
        out = subprocess.run([LFR, "edge", "init", "--state-dir", folder], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(os.stat(os.path.join(folder, "node.key")).st_mode & 0o777, 0o600)
        # Not without the code the administrator issues for the name.
        enrol = [LFR, "edge", "enrol", "--state-dir", folder, "--centre",
                 "https://127.0.0.1:%d" % port, "--ca", self.cert, "--name", name, "--code"]
        self.expect(self.c["supt.jones"], "POST", "/api/nodes/codes", {"name": name}, 403)
        code = self.expect(self.admin, "POST", "/api/nodes/codes", {"name": name}, 201)["code"]
        out = subprocess.run(enrol + ["a" * 20 + code[20:]], capture_output=True, text=True,
                             timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("no such code", out.stderr)
        # Typed in capitals, as read out, on standard input (out of sight of
        # ps): the same code.
        out = subprocess.run(enrol + ["-"], input=code.upper() + "\n", capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        m = re.search(r"enrolled as node (\d+), key ([0-9a-f]{16})", out.stdout)
        self.assertTrue(m, out.stdout)
        node, self.keys[int(m.group(1))] = int(m.group(1)), m.group(2)
        # Nothing on standard input: a clear refusal.
        empty = subprocess.run(enrol + ["-"], input="", capture_output=True, text=True, timeout=60)
        self.assertEqual(empty.returncode, 2, empty.stderr)
        self.assertIn("no code on standard input", empty.stderr)
        # Enrolled again: refused, the first enrolment kept.
        again = subprocess.run(enrol + [code], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(again.returncode, 0)
        return folder, node

    def start_node(self, folder, strace_to=None):
        log = open(folder + ".log", "w")
        cmd = [LFR, "edge", "run", "--state-dir", folder, "--poll-ms", "500"]
        env = dict(os.environ)
        if strace_to:
            cmd = ["strace", "-f", "-qq", "-yy", "-o", strace_to, "-e",
                   "trace=openat,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,"
                   "truncate,ftruncate,write,writev,pwrite64,sendto,sendmsg"] + cmd
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
        proc.log = log
        proc.log_path = folder + ".log"
        return proc

    def node_log(self, proc):
        proc.log.flush()
        with open(proc.log_path) as f:
            return f.read()

    def wait_log(self, proc, needle, within_s, seen_before=0):
        """Waits for the node's log to hold needle more than seen_before times."""
        deadline = time.time() + within_s
        while time.time() < deadline:
            if self.node_log(proc).count(needle) > seen_before:
                return
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        self.fail("node log has no %r after %d s:\n%s" % (needle, within_s,
                                                           self.node_log(proc)[-3000:]))

    def stop_node(self, proc):
        if proc.poll() is None:
            # Under strace the node is strace's child: the signal goes to it.
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                  text=True).stdout.split()
            for pid in kids:
                os.kill(int(pid), signal.SIGTERM)
            if not kids:
                proc.terminate()
            self.assertEqual(proc.wait(timeout=STOP_WITHIN_S), 0, self.node_log(proc)[-2000:])
        proc.log.close()

    def approve(self, node):
        nodes = self.expect(self.admin, "GET", "/api/nodes", None, 200)
        mine = [n for n in nodes if n["id"] == node]
        self.assertEqual(mine[0]["state"], "pending")
        # What the administrator compares: the key the node printed.
        self.assertEqual(mine[0]["key"], self.keys[node])
        # Approving is the administrator's act alone.
        self.expect(self.c["supt.jones"], "POST", "/api/nodes/%d/approve" % node, None, 403)
        self.expect(self.admin, "POST", "/api/nodes/%d/approve" % node, None, 200)

    def placed(self, name, node, cameras, walk_test_with=None):
        """A live deployment on node with the given cameras (name, source);
        with walk_test_with (the node's process), first a walk test on the
        node, whose first camera must find the blue-listed face."""
        dep, entry = self.draft(name)
        a = self.c["pc.smith"]
        self.expect(a, "POST", "/api/deployments/%d/node" % dep,
                    {"node": node, "max_offline_s": 5}, 400)
        # Not wrapped into range either (an int of 600 in its low bits).
        self.expect(a, "POST", "/api/deployments/%d/node" % dep,
                    {"node": node, "max_offline_s": -4294966696}, 400)
        self.expect(a, "POST", "/api/deployments/%d/node" % dep,
                    {"node": node, "max_offline_s": 600}, 200)
        for cam, source in cameras:
            self.expect(a, "POST", "/api/deployments/%d/cameras" % dep,
                        {"name": cam, "source": source, "location": "Queen Street"}, 201)
        self.expect(a, "POST", "/api/deployments/%d/submit" % dep, None, 200)
        self.expect(self.c["supt.jones"], "POST", "/api/deployments/%d/authorise" % dep, {}, 200)
        if walk_test_with:
            op = self.c["op.brown"]
            with open(PHOTO, "rb") as f:
                photo = base64.b64encode(f.read()).decode()
            blue = self.expect(op, "POST", "/api/deployments/%d/bluelist" % dep, {
                "staff_ref": "PC 4411 (volunteer)", "consent_ref": "consent 2026/12",
                "photo_base64": photo}, 201)["id"]
            self.expect(op, "POST", "/api/deployments/%d/walktest/start" % dep, None, 200)
            self.expect(op, "POST", "/api/deployments/%d/walktest/pass" % dep,
                        {"entry": blue, "camera": cameras[0][0]}, 201)
            deadline = time.time() + 60
            while time.time() < deadline:
                tests = self.expect(op, "GET", "/api/deployments/%d/walktests" % dep, None, 200)
                if tests[0]["found"] == 1:
                    break
                time.sleep(0.2)
            self.assertEqual(tests[0]["found"], 1, self.node_log(walk_test_with)[-2000:])
            self.assertIn("walk_test=%d" % tests[0]["id"], self.node_log(walk_test_with))
            self.expect(op, "POST", "/api/deployments/%d/walktest/end" % dep, None, 200)
            # The blue list's templates leave the node with the test.
            self.wait_log(walk_test_with, "deployment.stopped deployment=%d" % dep, 10)
            self.assertEqual(self.expect(op, "GET", "/api/alerts?deployment=%d" % dep, None, 200), [])
        self.expect(self.c["op.brown"], "POST", "/api/deployments/%d/start" % dep, None, 200)
        return dep, entry

    def listen(self, port, cookie, seen, ready, stop):
        """Collects the alert events of a server's stream into seen."""
        ctx = ssl.create_default_context(cafile=self.cert)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=300)
        conn.request("GET", "/api/events", headers={"Cookie": cookie})
        resp = conn.getresponse()
        ready.set()
        event = None
        while not stop.is_set():
            try:
                line = resp.fp.readline().decode()
            except OSError:
                break
            if not line:
                break
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "alert":
                seen.append(json.loads(line[6:]))
        conn.close()

    def start_second(self):
        """A second server on the same PostgreSQL database, over HTTPS."""
        state = os.path.join(self.tmp, "state2")
        os.makedirs(state, mode=0o700)
        base = os.path.basename(db_files(self.db))
        shutil.copy2(db_files(self.db) + ".key", os.path.join(state, base + ".key"))
        log = open(os.path.join(self.tmp, "server2.log"), "w")
        proc = subprocess.Popen([LFR, "serve", "--listen", "127.0.0.1:0", "--db", self.db,
                                 "--tick-ms", "200", "--state-dir", state, "--cert", self.cert,
                                 "--key", os.path.join(self.tmp, "key.pem")],
                                stdout=subprocess.PIPE, stderr=log, text=True)
        line = proc.stdout.readline()
        self.assertTrue(line.startswith("listening on port "), line)
        return proc, int(line.split()[-1]), log

    # ---- the tests ----

    def test_node_alerts_link_cut_suspend_revoke(self):
        if not os.path.exists(PHOTO):
            self.skipTest("no data: " + PHOTO)
        # Three cameras (folders of frames at 25 fps, 60 s each: still
        # playing when suspended), each seeing the watchlisted face once:
        # at 2 s, 12 s and 22 s.
        cams = []
        blank = blank_png(320, 240)
        for k in range(3):
            folder = os.path.join(self.tmp, "cam%d" % k)
            os.makedirs(folder)
            for i in range(1500):
                if 50 + 250 * k <= i < 90 + 250 * k:
                    shutil.copy(PHOTO, os.path.join(folder, "%04d.jpg" % i))
                else:
                    with open(os.path.join(folder, "%04d.png" % i), "wb") as f:
                        f.write(blank)
            cams.append(("cam%d" % k, folder))
        proxy = LinkProxy(self.port)
        folder, node = self.node("van-1", proxy.port)
        second = None
        nodeproc = self.start_node(folder)
        stop = threading.Event()
        try:
            # Not approved yet: refused, and it waits.
            self.wait_log(nodeproc, "node.pending", 30)
            self.approve(node)
            ports = {1: (self.port, self.c["op.brown"])}
            if PG:
                second = self.start_second()
                op2 = Client(second[1], self.cert)
                self.assertEqual(op2.try_login("op.brown")[0], 200)
                ports[2] = (second[1], op2)
            seen = {n: [] for n in ports}
            for n, (port, client) in ports.items():
                ready = threading.Event()
                threading.Thread(target=self.listen, args=(port, client.cookie, seen[n], ready, stop),
                                 daemon=True).start()
                self.assertTrue(ready.wait(30))
            dep, _ = self.placed("Op Van", node, cams, walk_test_with=nodeproc)
            self.wait_log(nodeproc, "deployment.running deployment=%d walk_test=0" % dep, 30)
            # The centre's own runner leaves it to the node; the monitor says so.
            m = self.expect(self.c["op.brown"], "GET", "/api/deployments/%d/monitor" % dep, None, 200)
            self.assertFalse(m["running"])
            self.assertEqual(m["node"]["name"], "van-1")
            self.assertEqual({c["state"] for c in m["cameras"]}, {"on_node"})
            # Each camera's state as the node sees it reaches the monitor
            # within seconds: sent as it changes, not with the 10 s counts.
            deadline = time.time() + 5
            while time.time() < deadline and \
                    {c.get("node_state") for c in m["cameras"]} != {"running"}:
                time.sleep(0.2)
                m = self.expect(self.c["op.brown"], "GET", "/api/deployments/%d/monitor" % dep,
                                None, 200)
            self.assertEqual({c.get("node_state") for c in m["cameras"]}, {"running"}, m["cameras"])
            self.assertIn("which reports it running", m["cameras"][0]["message"])
            self.wait_log(nodeproc, "camera.state deployment=%d camera=" % dep, 5)
            deadline = time.time() + 60
            while time.time() < deadline and not all(seen[n] for n in ports):
                time.sleep(0.1)
            self.assertTrue(all(seen[n] for n in ports), seen)
            self.assertEqual(seen[1][0]["deployment"], dep)
            # The link cut for 30 s: 20 s refused, 10 s with answers lost.
            proxy.mode = "down"
            time.sleep(20)
            proxy.mode = "mute"
            time.sleep(10)
            proxy.mode = "up"
            self.wait_log(nodeproc, "centre.reachable", 30)
            deadline = time.time() + 90
            while time.time() < deadline:
                n = int(db_exec(self.db, "SELECT count(*) FROM alerts WHERE deployment_id = %d" % dep)[0][0])
                queued = [f for f in os.listdir(os.path.join(folder, "queue")) if f.endswith(".alert")]
                if n >= 3 and not queued:
                    break
                time.sleep(0.2)
            rows = db_exec(self.db, "SELECT count(*), count(DISTINCT origin), camera FROM alerts "
                           "WHERE deployment_id = %d GROUP BY camera ORDER BY camera" % dep)
            log = self.node_log(nodeproc)
            # One alert a camera, each once, none lost.
            self.assertEqual([(int(r[0]), int(r[1]), r[2]) for r in rows],
                             [(1, 1, "cam0"), (1, 1, "cam1"), (1, 1, "cam2")], log[-3000:])
            self.assertEqual(log.count("alert.queued"), 3, log[-3000:])
            # Each acknowledged once (the walk test's hit too); one whose
            # answer was lost, as a repeat.
            self.assertEqual(log.count("alert.delivered"), 4, log[-3000:])
            if proxy.muted:
                self.assertIn("repeat=1", log)  # an answer was lost: sent again, kept once
            self.assertFalse(os.listdir(os.path.join(folder, "queue")))
            # The two raised during the cut say how long they waited.
            waited = db_exec(self.db, "SELECT count(*) FROM audit_log WHERE action = "
                             "'alert.create' AND details LIKE '%%waited_ms%%'")
            self.assertGreaterEqual(int(waited[0][0]), 2)
            for n in ports:  # every server's operators saw each
                deadline = time.time() + 10
                while time.time() < deadline and len({a["id"] for a in seen[n]}) < 3:
                    time.sleep(0.1)
                self.assertEqual(len({a["id"] for a in seen[n]}), 3, seen[n])
            # A suspension stops the node's cameras within a poll or two.
            self.expect(self.c["supt.jones"], "POST", "/api/deployments/%d/suspend" % dep,
                        {"reason": "disorder"}, 200)
            t0 = time.time()
            self.assertNotIn("its sources ended", self.node_log(nodeproc))
            self.wait_log(nodeproc, "deployment.stopped deployment=%d" % dep, 10, seen_before=1)
            self.assertLess(time.time() - t0, 3.0)
            self.assertIn("no longer runs it here", self.node_log(nodeproc).splitlines()[-1])
            # The node's counts reached the centre (the last ones as it stopped).
            m = self.expect(self.c["op.brown"], "GET", "/api/deployments/%d/monitor" % dep, None, 200)
            self.assertTrue(all(c["frames"] > 0 and c["faces"] >= 1 for c in m["cameras"]), m)
            self.assertEqual({c.get("node_state") for c in m["cameras"]}, {"ended"}, m["cameras"])
            # Revoked: refused and audited; the node wipes and exits 1.
            self.expect(self.admin, "POST", "/api/nodes/%d/revoke" % node,
                        {"reason": "van stolen"}, 200)
            self.assertEqual(nodeproc.wait(timeout=30), 1, self.node_log(nodeproc)[-2000:])
            self.assertIn("revoked", self.node_log(nodeproc))
            actions = [r["action"] for r in self.expect(
                self.c["dpo.grey"], "GET", "/api/audit?limit=200", None, 200)
                if r["object"] == "node/%d" % node]
            for a in ("node.enrol", "node.approve", "node.revoke", "node.refused"):
                self.assertIn(a, actions)
            self.assertTrue(self.expect(self.c["dpo.grey"], "GET", "/api/audit/verify", None,
                                        200)["ok"])
        finally:
            stop.set()
            self.stop_node(nodeproc) if nodeproc.poll() is None else nodeproc.log.close()
            proxy.close()
            if second:
                second[0].terminate()
                self.assertEqual(second[0].wait(timeout=STOP_WITHIN_S), 0)
                second[0].stdout.close()
                second[2].close()

    def test_non_match_writes_and_sends_nothing(self):
        if not os.path.exists(PHOTO) or not os.path.exists(HAMILTON):
            self.skipTest("no data")
        if not shutil.which("strace") or subprocess.run(
                ["strace", "-f", "-qq", "-o", "/dev/null", "true"]).returncode:
            self.skipTest("strace unavailable")
        proxy = LinkProxy(self.port)
        folder, node = self.node("van-2", proxy.port)
        self.approve(node)
        trace = os.path.join(self.tmp, "edge.trace")
        before = set(os.listdir(folder))
        nodeproc = self.start_node(folder, strace_to=trace)
        try:
            # Nobody in the clip is on this watchlist.
            dep, _ = self.placed("Op Hamilton", node, [("cam1", HAMILTON)])
            self.wait_log(nodeproc, "deployment.running deployment=%d" % dep, 60)
            # The link goes down before the clip ends: the run's last counts
            # wait in the node's memory, not on its disk, until it is back.
            proxy.mode = "down"
            self.wait_log(nodeproc, "deployment.stopped deployment=%d" % dep, 120)
            m = re.search(r"counts\.kept deployment=%d run=\w+ frames=(\d+)" % dep,
                          self.node_log(nodeproc))
            self.assertTrue(m, self.node_log(nodeproc)[-2000:])
            frames = int(m.group(1))
            proxy.mode = "up"
            deadline = time.time() + 30
            counts = None
            while time.time() < deadline:
                counts = db_exec(self.db, "SELECT frames, faces, compared FROM camera_counts "
                                 "WHERE deployment_id = %d" % dep)
                if counts and int(counts[0][0]) == frames:
                    break
                time.sleep(0.5)
        finally:
            self.stop_node(nodeproc)
            proxy.close()
        self.assertTrue(frames > 0 and counts and int(counts[0][0]) == frames, (frames, counts))
        self.assertTrue(int(counts[0][1]) > 0 and int(counts[0][2]) > 0, counts)
        with open(nodeproc.log_path) as f:
            self.assertNotIn("counts.lost", f.read())
        self.assertEqual(db_exec(self.db, "SELECT count(*) FROM alerts WHERE deployment_id = %d"
                                 % dep)[0][0] in (0, "0"), True)
        self.assertEqual(set(os.listdir(folder)), before)  # no queue, no file
        with open(trace) as f:
            lines = f.read().splitlines()
        written, sent = [], []
        for line in lines:
            m = re.search(r"\b(openat|creat)\(.*\"([^\"]+)\".*(O_WRONLY|O_RDWR|O_CREAT)", line)
            if m and not m.group(2).startswith(("/dev/", "/proc/")):
                written.append(line)
            m = re.search(r"\b(write|writev|sendto|sendmsg)\((\d+)<(TCP|TCPv6):.*\) = (\d+)$", line)
            if m:
                sent.append(int(m.group(4)))
        self.assertEqual(written, [])
        # Requests only: the largest a poll or a count, never a face (kilobytes).
        self.assertTrue(sent)
        self.assertLess(max(sent), 3000, sorted(sent)[-5:])


if __name__ == "__main__":
    unittest.main()
