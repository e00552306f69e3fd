"""A fake of the Cloudflare API v4 (zones and DNS records) for tests, with
Cloudflare's envelope ({"success", "errors": [{"code", "message"}],
"messages", "result", "result_info"}), paths under /client/v4, error codes
(81057 record exists, 81044 record missing, 7003 bad zone id, 9005 bad
content, 10000 authentication), pagination (page/per_page, result_info
total_pages) and the Ratelimit/Ratelimit-Policy headers on every answer.

`on_txt(name, value, present)` is called when a TXT record is created
(present=True) or deleted (present=False), e.g. to mirror DNS-01 challenges
into pebble-challtestsrv.
"""
import ipaddress
import itertools
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from fakes.fakeserver import FakeServer, Req, Resp, TlsFiles

TYPES = {"A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS", "OPENPGPKEY",
         "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI"}
LIMIT, WINDOW = 1200, 300


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def envelope(result: Any, status: int = 200, info: Optional[dict] = None) -> Resp:
    body: Dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return Resp(status, body)


def failure(status: int, code: int, message: str, chain: Optional[List[dict]] = None) -> Resp:
    err: Dict[str, Any] = {"code": code, "message": message}
    if chain:
        err["error_chain"] = chain
    return Resp(status, {"success": False, "errors": [err], "messages": [], "result": None})


class FakeCloudflare:
    def __init__(self, tls: Optional[TlsFiles], token: str = "cf-test-token-0123456789abcdefghijklmn",
                 on_txt: Optional[Callable[[str, str, bool], None]] = None) -> None:
        self.tls = tls
        self.token = token
        self.on_txt = on_txt
        self.page_cap = 5000000
        self.zones: Dict[str, dict] = {}
        self.records: Dict[str, Dict[str, dict]] = {}  # zone id -> record id -> record
        self._used = 0
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        # (monotonic time, "METHOD /path", status) of every answer the handler gave
        self.log: List[Tuple[float, str, int]] = []
        self._throttle: List[int] = []  # Retry-After seconds of the next 429 answers
        self.server = FakeServer(self.handle, tls)

    def __enter__(self) -> "FakeCloudflare":
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url + "/client/v4"

    @property
    def requests(self) -> List[Req]:
        return self.server.requests

    def fault(self, **kw: Any) -> None:
        self.server.fault(**kw)

    def seen(self, pattern: str) -> List[Req]:
        return self.server.seen(pattern)

    def add_zone(self, name: str, status: str = "active") -> str:
        zid = uuid.uuid4().hex
        with self._lock:
            self.zones[zid] = {
                "id": zid, "name": name, "status": status, "paused": False, "type": "full", "development_mode": 0,
                "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"], "original_name_servers": [],
                "created_on": _now(), "modified_on": _now(), "activated_on": _now(),
                "account": {"id": "01a7362d577a6c3019a474fd6f485823", "name": "Test account"},
                "permissions": ["#dns_records:edit", "#zone:read"], "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                                                                              "name": "Free Website"},
            }
            self.records[zid] = {}
        return zid

    def rate_limited(self, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` requests get the provider's 429 with Retry-After
        (answered by the handler, so they are in `log`)."""
        with self._lock:
            self._throttle.extend([retry_after] * count)

    def _rl_headers(self) -> Dict[str, str]:
        return {"Ratelimit": f'"default";r={max(0, LIMIT - self._used)};t={WINDOW}',
                "Ratelimit-Policy": f'"default";q={LIMIT};w={WINDOW}'}

    def handle(self, req: Req) -> Resp:
        with self._lock:
            self._count_request()
            if self._throttle:
                resp = self._too_many(self._throttle.pop(0))
            else:
                resp = self._route(req)
            resp.headers.update(self._rl_headers())
            self.log.append((time.monotonic(), f"{req.method} {req.path}", resp.status))
            return resp

    def _count_request(self) -> None:
        self._used += 1

    def _too_many(self, retry_after: int) -> Resp:
        return Resp(429, {"success": False, "messages": [], "result": None,
                          "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}]},
                    {"Retry-After": str(retry_after)})

    def _route(self, req: Req) -> Resp:
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return failure(400, 6003, "Invalid request headers", [{"code": 6111, "message": "Invalid format for Authorization header"}])
        if auth != f"Bearer {self.token}":
            return failure(401, 10000, "Authentication error")
        if not req.path.startswith("/client/v4/"):
            return failure(400, 7000, "No route for that URI")
        parts = req.path[len("/client/v4/"):].strip("/").split("/")
        m, n = req.method, len(parts)
        if parts[0] != "zones":
            return failure(400, 7000, "No route for that URI")
        if n == 1 and m == "GET":
            zones = list(self.zones.values())
            if "name" in req.query:
                zones = [z for z in zones if z["name"] == req.query["name"][0]]
            return self._page(req, zones, 50)
        zid = parts[1]
        if zid not in self.zones:
            return failure(400 if n > 2 else 404, 7003,
                           f"Could not route to {req.path[len('/client/v4'):]}, perhaps your object identifier is invalid?")
        zone = self.zones[zid]
        if n == 2 and m == "GET":
            return envelope(zone)
        if n < 3 or parts[2] != "dns_records":
            return failure(400, 7000, "No route for that URI")
        recs = self.records[zid]
        if n == 3 and m == "GET":
            out = sorted(recs.values(), key=lambda r: r["_seq"])
            for f in ("type", "name", "content"):
                if f in req.query:
                    out = [r for r in out if r[f] == req.query[f][0]]
            return self._page(req, [self._public(r) for r in out], 100)
        body: Any = {}
        if m in ("POST", "PATCH", "PUT"):
            try:
                body = req.json()
            except ValueError:
                return failure(400, 9207, "Request body is invalid.")
            if not isinstance(body, dict):
                return failure(400, 9207, "Request body is invalid.")
        if n == 3 and m == "POST":
            return self._create(zone, body)
        if n == 4:
            rec = recs.get(parts[3])
            if rec is None:
                return failure(404, 81044, "Record does not exist.")
            if m == "GET":
                return envelope(self._public(rec))
            if m == "PATCH":
                merged = {**rec, **{k: v for k, v in body.items() if k in ("type", "name", "content", "ttl", "proxied", "comment")}}
                bad = self._check(zone, merged, exclude=rec["id"])
                if bad:
                    return bad
                was_txt = rec["type"] == "TXT"
                old = (rec["name"], rec["content"])
                rec.update(merged)
                rec["modified_on"] = _now()
                if was_txt and self.on_txt:
                    self.on_txt(old[0], old[1], False)
                if rec["type"] == "TXT" and self.on_txt:
                    self.on_txt(rec["name"], rec["content"], True)
                return envelope(self._public(rec))
            if m == "DELETE":
                del recs[rec["id"]]
                if rec["type"] == "TXT" and self.on_txt:
                    self.on_txt(rec["name"], rec["content"], False)
                return envelope({"id": rec["id"]})
        return failure(400, 7000, "No route for that URI")

    def _page(self, req: Req, items: List[dict], default_per_page: int) -> Resp:
        try:
            page = int(req.query.get("page", ["1"])[0])
            per_page = int(req.query.get("per_page", [str(default_per_page)])[0])
        except ValueError:
            return failure(400, 1001, "Invalid page or per_page")
        per_page = max(1, min(per_page, self.page_cap))
        total_pages = (len(items) + per_page - 1) // per_page
        chunk = items[(page - 1) * per_page: page * per_page]
        return envelope(chunk, info={"page": page, "per_page": per_page, "count": len(chunk),
                                     "total_count": len(items), "total_pages": total_pages})

    @staticmethod
    def _public(rec: dict) -> dict:
        return {k: v for k, v in rec.items() if not k.startswith("_")}

    @staticmethod
    def _fqdn(zone: dict, name: str) -> str:
        name = name.rstrip(".").lower()
        if name in ("@", zone["name"]):
            return zone["name"]
        return name if name.endswith("." + zone["name"]) else f"{name}.{zone['name']}"

    def _check(self, zone: dict, rec: dict, exclude: Optional[str] = None) -> Optional[Resp]:
        t = rec.get("type")
        if t not in TYPES:
            return failure(400, 1004, "DNS Validation Error", [{"code": 9021, "message": f"Invalid DNS record type '{t}'."}])
        if not isinstance(rec.get("name"), str) or not rec["name"]:
            return failure(400, 1004, "DNS Validation Error", [{"code": 9007, "message": "DNS name is invalid."}])
        content = rec.get("content")
        if not isinstance(content, str) or not content:
            return failure(400, 9005, "Content for record is invalid.")
        if t == "A":
            try:
                ipaddress.IPv4Address(content)
            except ValueError:
                return failure(400, 9005, "Content for A record must be a valid IPv4 address.")
        if t == "AAAA":
            try:
                ipaddress.IPv6Address(content)
            except ValueError:
                return failure(400, 9005, "Content for AAAA record must be a valid IPv6 address.")
        ttl = rec.get("ttl", 1)
        if not isinstance(ttl, int) or (ttl != 1 and not 60 <= ttl <= 86400):
            return failure(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
        if rec.get("proxied") and t not in ("A", "AAAA", "CNAME"):
            return failure(400, 9004, "This record type cannot be proxied.")
        name = self._fqdn(zone, rec["name"])
        for other in self.records[zone["id"]].values():
            if other["id"] == exclude or other["name"] != name:
                continue
            if other["type"] == t and other["content"] == content:
                return failure(400, 81057, "Record already exists.")
            if "CNAME" in (t, other["type"]):
                return failure(400, 81053, "An A, AAAA, or CNAME record with that host already exists.")
        rec["name"] = name
        return None

    def _create(self, zone: dict, body: dict) -> Resp:
        rec = {k: body[k] for k in ("type", "name", "content", "ttl", "proxied", "comment") if k in body}
        bad = self._check(zone, rec)
        if bad:
            return bad
        rid = uuid.uuid4().hex
        t = rec["type"]
        full = {"id": rid, "zone_id": zone["id"], "zone_name": zone["name"], "name": rec["name"], "type": t,
                "content": rec["content"], "proxiable": t in ("A", "AAAA", "CNAME"), "proxied": bool(rec.get("proxied")),
                "ttl": rec.get("ttl", 1), "locked": False, "comment": rec.get("comment"), "tags": [],
                "meta": {"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False},
                "created_on": _now(), "modified_on": _now(), "_seq": next(self._seq)}
        self.records[zone["id"]][rid] = full
        if t == "TXT" and self.on_txt:
            self.on_txt(full["name"], full["content"], True)
        return envelope(self._public(full))
