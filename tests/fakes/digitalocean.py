"""A fake of the DigitalOcean API v2 for tests: droplets, droplet actions,
actions and SSH keys (/v2/account/keys), with DigitalOcean's paths, status
codes (202 on droplet create, 201 on action/key create, 204 on delete), error
bodies ({"id": "not_found", "message": ...}), pagination (links.pages with
absolute URLs, meta.total) and ratelimit-* headers on every answer.

Actions start "in-progress" and complete after `action_polls` reads of
GET /v2/actions/{id}; `fail_types` makes actions of that type "errored".
"""
import base64
import hashlib
import itertools
import re
import threading
import time
from typing import Any, Dict, List, Optional, Set, Tuple
from urllib.parse import urlencode

from fakes.fakeserver import FakeServer, Req, Resp, TlsFiles

RATE_LIMIT = 5000
SIZES = {"s-1vcpu-1gb": (1024, 1, 25), "s-2vcpu-2gb": (2048, 2, 60)}
REGIONS = {"fra1": "Frankfurt 1", "ams3": "Amsterdam 3", "nyc3": "New York 3"}
IMAGES = {"debian-12-x64": (155049034, "12 x64", "Debian"), "ubuntu-24-04-x64": (160164189, "24.04 (LTS) x64", "Ubuntu")}
NAME = re.compile(r"^[a-zA-Z0-9.-]+$")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def error(status: int, id_: str, message: str) -> Resp:
    return Resp(status, {"id": id_, "message": message, "request_id": "4d9d8375-3c56-4925-a3e7-eb137fed17e9"})


class FakeDigitalOcean:
    def __init__(self, tls: Optional[TlsFiles], token: str = "dop_v1_fake0123456789abcdef", action_polls: int = 2) -> None:
        self.tls = tls
        self.token = token
        self.action_polls = action_polls
        self.page_cap = 200  # DigitalOcean's maximum per_page; tests lower it to cross pages
        self.fail_types: Set[str] = set()
        self.create_links = True  # POST /droplets answers links.actions
        self.droplets: Dict[int, dict] = {}
        self.actions: Dict[int, dict] = {}
        self.keys: Dict[int, dict] = {}
        self._polls: Dict[int, int] = {}
        self._ids = itertools.count(3000000)
        self._remaining = RATE_LIMIT
        self._lock = threading.RLock()
        # (monotonic time, "METHOD /path", status) of every answer the handler gave
        self.log: List[Tuple[float, str, int]] = []
        self._throttle: List[int] = []  # Retry-After seconds of the next 429 answers
        self.server = FakeServer(self.handle, tls)

    def __enter__(self) -> "FakeDigitalOcean":
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url + "/v2"

    @property
    def requests(self) -> List[Req]:
        return self.server.requests

    def fault(self, **kw: Any) -> None:
        self.server.fault(**kw)

    def seen(self, pattern: str) -> List[Req]:
        return self.server.seen(pattern)

    def rate_limited(self, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` requests get the provider's 429 with Retry-After
        (answered by the handler, so they are in `log`)."""
        with self._lock:
            self._throttle.extend([retry_after] * count)

    def _rl_headers(self) -> Dict[str, str]:
        return {"ratelimit-limit": str(RATE_LIMIT), "ratelimit-remaining": str(self._remaining),
                "ratelimit-reset": str(int(time.time()) + 3600)}

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
        self._remaining = max(0, self._remaining - 1)

    def _too_many(self, retry_after: int) -> Resp:
        return Resp(429, {"id": "too_many_requests", "message": "API Rate limit exceeded."},
                    {"retry-after": str(retry_after)})

    def _route(self, req: Req) -> Resp:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return error(401, "Unauthorized", "Unable to authenticate you")
        parts = req.path.strip("/").split("/")
        if not parts or parts[0] != "v2":
            return error(404, "not_found", "The resource you were accessing could not be found.")
        parts = parts[1:]
        m, n = req.method, len(parts)
        body: Any = {}
        if m == "POST":
            try:
                body = req.json() if req.body else {}
            except ValueError:
                return error(400, "bad_request", "unexpected end of JSON input")
            if not isinstance(body, dict):
                return error(400, "bad_request", "the request body must be a JSON object")
        if parts[0] == "droplets":
            if n == 1 and m == "GET":
                ds = list(self.droplets.values())
                if "tag_name" in req.query:
                    ds = [d for d in ds if req.query["tag_name"][0] in d["tags"]]
                return self._list(req, "droplets", ds)
            if n == 1 and m == "POST":
                return self._create(body)
            if n >= 2:
                did = int(parts[1]) if parts[1].isdigit() else -1
                d = self.droplets.get(did)
                if d is None:
                    return error(404, "not_found", "The resource you were accessing could not be found.")
                if n == 2 and m == "GET":
                    if d["status"] == "new" and not self.create_links:  # no action to poll: reads advance it
                        for aid, a in list(self.actions.items()):
                            if a["resource_id"] == did and a["type"] == "create":
                                self._poll(aid)
                    return Resp(200, {"droplet": d})
                if n == 2 and m == "DELETE":
                    del self.droplets[did]
                    return Resp(204)
                if n == 3 and parts[2] == "actions" and m == "POST":
                    t = body.get("type")
                    if t not in ("power_on", "power_off", "shutdown", "reboot", "power_cycle"):
                        return error(422, "unprocessable_entity", f"Action type '{t}' is not valid.")
                    if d["locked"]:
                        return error(422, "unprocessable_entity", "Droplet already has a pending event.")
                    return Resp(201, {"action": self._action(t, d)})
        elif parts[0] == "actions" and n == 2 and m == "GET":
            aid = int(parts[1]) if parts[1].isdigit() else -1
            if aid not in self.actions:
                return error(404, "not_found", "The resource you were accessing could not be found.")
            return Resp(200, {"action": self._poll(aid)})
        elif parts[0] == "account" and n >= 2 and parts[1] == "keys":
            if n == 2 and m == "GET":
                return self._list(req, "ssh_keys", list(self.keys.values()))
            if n == 2 and m == "POST":
                return self._create_key(body)
            if n == 3:
                k = next((k for k in self.keys.values() if str(k["id"]) == parts[2] or k["fingerprint"] == parts[2]), None)
                if k is None:
                    return error(404, "not_found", "The resource you were accessing could not be found.")
                if m == "GET":
                    return Resp(200, {"ssh_key": k})
                if m == "DELETE":
                    del self.keys[k["id"]]
                    return Resp(204)
        return error(404, "not_found", "The resource you were accessing could not be found.")

    def _list(self, req: Req, key: str, items: List[dict]) -> Resp:
        try:
            page = int(req.query.get("page", ["1"])[0])
            per_page = int(req.query.get("per_page", ["20"])[0])
        except ValueError:
            return error(400, "bad_request", "invalid page or per_page")
        per_page = max(1, min(per_page, 200, self.page_cap))
        items = sorted(items, key=lambda x: x["id"])
        last = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        base = self.server.url + req.path
        extra = [(k, v[0]) for k, v in req.query.items() if k not in ("page", "per_page")]
        link = lambda p: base + "?" + urlencode(extra + [("page", p), ("per_page", per_page)])  # noqa: E731
        pages: Dict[str, str] = {}
        if page > 1:
            pages.update(first=link(1), prev=link(page - 1))
        if page < last:
            pages.update(next=link(page + 1), last=link(last))
        return Resp(200, {key: chunk, "links": {"pages": pages}, "meta": {"total": len(items)}})

    def _action(self, type_: str, d: dict) -> dict:
        aid = next(self._ids)
        a = {"id": aid, "status": "in-progress", "type": type_, "started_at": _now(), "completed_at": None,
             "resource_id": d["id"], "resource_type": "droplet", "region": d["region"], "region_slug": d["region"]["slug"]}
        self.actions[aid] = a
        self._polls[aid] = 0
        d["locked"] = True
        return dict(a)

    def _poll(self, aid: int) -> dict:
        a = self.actions[aid]
        if a["status"] == "in-progress":
            self._polls[aid] += 1
            if self._polls[aid] >= self.action_polls:
                a["completed_at"] = _now()
                a["status"] = "errored" if a["type"] in self.fail_types else "completed"
                d = self.droplets.get(a["resource_id"])
                if d:
                    d["locked"] = False
                    if a["status"] == "completed":
                        if a["type"] in ("create", "power_on", "reboot", "power_cycle"):
                            d["status"] = "active"
                        elif a["type"] in ("power_off", "shutdown"):
                            d["status"] = "off"
        return dict(a)

    def _create(self, body: dict) -> Resp:
        for f in ("name", "region", "size", "image"):
            if f not in body or body[f] in ("", None):
                return error(422, "unprocessable_entity", f"{f.capitalize()} is required.")
        if not isinstance(body["name"], str) or not NAME.match(body["name"]):
            return error(422, "unprocessable_entity",
                         "Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)")
        if body["region"] not in REGIONS:
            return error(422, "unprocessable_entity", "You specified an invalid region for Droplet creation.")
        if body["size"] not in SIZES:
            return error(422, "unprocessable_entity", "You specified an invalid size for Droplet creation.")
        img = next(((slug, v) for slug, v in IMAGES.items() if body["image"] in (slug, v[0])), None)
        if img is None:
            return error(422, "unprocessable_entity", "You specified an invalid image for Droplet creation.")
        for k in body.get("ssh_keys") or []:
            if not any(k in (x["id"], x["fingerprint"]) for x in self.keys.values()):
                return error(422, "unprocessable_entity", "You specified an invalid SSH key for Droplet creation.")
        mem, vcpus, disk = SIZES[body["size"]]
        did = next(self._ids)
        n = len(self.droplets) + 1
        region = {"name": REGIONS[body["region"]], "slug": body["region"], "features": ["backups", "ipv6"],
                  "available": True, "sizes": list(SIZES)}
        d = {"id": did, "name": body["name"], "memory": mem, "vcpus": vcpus, "disk": disk, "locked": False,
             "status": "new", "kernel": None, "created_at": _now(), "features": [], "backup_ids": [],
             "snapshot_ids": [], "volume_ids": [],
             "image": {"id": img[1][0], "name": img[1][1], "distribution": img[1][2], "slug": img[0], "public": True},
             "size": {"slug": body["size"], "memory": mem, "vcpus": vcpus, "disk": disk, "transfer": 1.0,
                      "price_monthly": 6.0, "price_hourly": 0.00893},
             "size_slug": body["size"],
             "networks": {"v4": [{"ip_address": f"198.51.100.{n % 250 + 1}", "netmask": "255.255.240.0",
                                  "gateway": "198.51.100.254", "type": "public"}], "v6": []},
             "region": region, "tags": list(body.get("tags") or []), "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000"}
        self.droplets[did] = d
        a = self._action("create", d)
        links: Dict[str, Any] = {}
        if self.create_links:
            links = {"actions": [{"id": a["id"], "rel": "create", "href": f"{self.url}/actions/{a['id']}"}]}
        return Resp(202, {"droplet": d, "links": links})

    def _create_key(self, body: dict) -> Resp:
        name, key = body.get("name"), body.get("public_key")
        if not isinstance(name, str) or not name:
            return error(422, "unprocessable_entity", "Name can't be blank")
        parts = key.split() if isinstance(key, str) else []
        try:
            blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 else b""
        except ValueError:
            blob = b""
        if not blob:
            return error(422, "unprocessable_entity", "Key invalid, key should be of the format `type key [comment]`")
        digest = hashlib.md5(blob).hexdigest()
        fp = ":".join(digest[i:i + 2] for i in range(0, 32, 2))
        if any(k["fingerprint"] == fp for k in self.keys.values()):
            return error(422, "unprocessable_entity", "SSH Key is already in use on your account")
        kid = next(self._ids)
        self.keys[kid] = {"id": kid, "fingerprint": fp, "public_key": key, "name": name}
        return Resp(201, {"ssh_key": self.keys[kid]})
