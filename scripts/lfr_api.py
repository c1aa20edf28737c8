"""scripts/lfr_api.py - a small client of the `lfr serve` JSON API
(docs/api.md) for scripts and tests: one object per browser, holding the
session cookie and its CSRF token. Python's standard library only."""
import http.client
import json
import ssl
import urllib.parse


class ApiError(RuntimeError):
    def __init__(self, method, path, status, doc):
        super().__init__("%s %s: %d %s" % (method, path, status, doc))
        self.status, self.doc = status, doc


class Session:
    def __init__(self, url, source=None, cafile=None):
        """source: the local address to connect from (a second loopback
        address plays another machine); cafile: the certificate to trust
        for an https:// URL (else the system's)."""
        u = urllib.parse.urlparse(url if "://" in url else "http://" + url)
        self.host, self.port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
        self.tls = ssl.create_default_context(cafile=cafile) if u.scheme == "https" else None
        self.source = (source, 0) if source else None
        self.cookie = self.csrf = None

    def request(self, method, path, body=None, raw=None, headers=None, csrf=True):
        """(status, parsed JSON or bytes, response): whatever the server said."""
        if self.tls:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=120,
                                               source_address=self.source, context=self.tls)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120,
                                              source_address=self.source)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        if resp.getheader("Set-Cookie"):
            self.cookie = resp.getheader("Set-Cookie").split(";")[0]
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        doc = json.loads(payload) if ctype.startswith("application/json") and payload else payload
        return resp.status, doc, resp

    def call(self, method, path, body=None):
        """The parsed answer of a request that must succeed; ApiError if not."""
        status, doc, _ = self.request(method, path, body)
        if status >= 300:
            raise ApiError(method, path, status, doc)
        return doc

    def login(self, name, password):
        status, doc, resp = self.request("POST", "/api/login", {"name": name, "password": password})
        if status != 200:
            raise ApiError("POST", "/api/login", status, doc)
        self.csrf = doc["csrf"]
        return self


def complete_record(start, end, threshold, watchlist_size, footfall=2000):
    """Every DEP-4 field of a plausible application, as the form sends them."""
    return {
        "purpose": "locate people wanted on warrant",
        "intelligence_case": "intelligence report 2026/001",
        "necessity": "serious offences, a single evening",
        "less_intrusive": "officers at the doors could not cover the crowd",
        "start": start.strftime("%Y-%m-%dT%H:%MZ"),
        "end": end.strftime("%Y-%m-%dT%H:%MZ"),
        "watchlist_criteria": "wanted on warrant for offences carrying 2+ years",
        "watchlist_categories": "wanted",
        "watchlist_size": str(watchlist_size),
        "threshold": threshold,
        "engagement_plan": "two engagement officers by each camera",
        "public_notice": "force website and signs at each entrance",
        "dpia_ref": "DPIA-7", "equality_ref": "EIA-7", "community_ref": "CIA-7",
        "pcc_informed": "yes", "expected_footfall": str(footfall),
    }
