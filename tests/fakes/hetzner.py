"""A fake of the Hetzner Cloud API (https://docs.hetzner.cloud) for tests:
servers, actions, SSH keys and firewalls, with Hetzner's paths, status codes,
error bodies ({"error": {"code", "message", "details"}}), pagination
(meta.pagination, page/per_page) and RateLimit-* headers on every answer.

Actions start "running" and succeed after `action_polls` reads of
GET /actions/{id}; `fail_commands` makes an action of that command end in
"error" instead.

    with FakeHetzner(tls_files(tmp_path)) as hz:
        config = {"kind": "hetzner", "endpoint": hz.url, "token": hz.token, "ca_bundle": hz.tls.ca}
"""
import hashlib
import base64
import itertools
import re
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from fakes.fakeserver import FakeServer, Req, Resp, TlsFiles

RATE_LIMIT = 3600
SERVER_TYPES = {"cx22": (1, 2, 4.0, 40), "cx32": (2, 4, 8.0, 80), "cpx11": (3, 2, 2.0, 40)}
LOCATIONS = {"fsn1": ("fsn1-dc14", "Falkenstein DC Park 1"), "nbg1": ("nbg1-dc3", "Nuremberg 1 DC 3"),
             "hel1": ("hel1-dc2", "Helsinki 1 DC 2")}
IMAGES = {"debian-12": (114690387, "Debian 12", "debian", "12"), "ubuntu-24.04": (161547269, "Ubuntu 24.04", "ubuntu", "24.04")}
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def error(status: int, code: str, message: str, details: Any = None) -> Resp:
    return Resp(status, {"error": {"code": code, "message": message, "details": details if details is not None else {}}})


class FakeHetzner:
    def __init__(self, tls: Optional[TlsFiles], token: str = "hcloud-test-token-0123456789", action_polls: int = 2) -> None:
        self.tls = tls
        self.token = token
        self.action_polls = action_polls
        self.page_cap = 50  # Hetzner's maximum per_page; tests lower it to cross pages
        self.fail_commands: Dict[str, Tuple[str, str]] = {}  # command -> (error code, message)
        self.servers: Dict[int, dict] = {}
        self.actions: Dict[int, dict] = {}
        self.ssh_keys: Dict[int, dict] = {}
        self.firewalls: Dict[int, dict] = {}
        self._polls: Dict[int, int] = {}
        self._ids = itertools.count(1000)
        self._remaining = RATE_LIMIT
        self._lock = threading.RLock()
        # (monotonic time, "METHOD /path", status) of every answer the handler gave
        self.log: List[Tuple[float, str, int]] = []
        self._throttle: List[int] = []  # Retry-After seconds of the next 429 answers
        self.server = FakeServer(self.handle, tls)

    # ---- plumbing ----
    def __enter__(self) -> "FakeHetzner":
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url + "/v1"

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
        # One request per second refills the hour's budget.
        return {"RateLimit-Limit": str(RATE_LIMIT), "RateLimit-Remaining": str(self._remaining),
                "RateLimit-Reset": str(int(time.time()) + (RATE_LIMIT - self._remaining))}

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
        return Resp(429, {"error": {"code": "rate_limit_exceeded",
                                    "message": f"limit of {RATE_LIMIT} requests per hour reached", "details": {}}},
                    {"Retry-After": str(retry_after)})

    def _route(self, req: Req) -> Resp:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return error(401, "unauthorized", "unable to authenticate")
        if not req.path.startswith("/v1/"):
            return error(404, "not_found", "not found")
        parts = req.path[len("/v1/"):].strip("/").split("/")
        m, n = req.method, len(parts)
        body: Any = None
        if m in ("POST", "PUT"):
            try:
                body = req.json() if req.body else {}
            except ValueError:
                return error(400, "json_error", "invalid JSON in request body")
            if not isinstance(body, dict):
                return error(400, "json_error", "request body must be a JSON object")
        res = parts[0]
        if res == "servers":
            if n == 1 and m == "GET":
                return self._list(req, "servers", self._select_servers(req))
            if n == 1 and m == "POST":
                return self._create_server(body)
            if n >= 2:
                sid = self._int(parts[1])
                srv = self.servers.get(sid)
                if srv is None:
                    return error(404, "not_found", f"server with ID '{parts[1]}' not found")
                if n == 2 and m == "GET":
                    return Resp(200, {"server": self._public(srv)})
                if n == 2 and m == "DELETE":
                    del self.servers[sid]
                    for fw in self.firewalls.values():
                        fw["applied_to"] = [a for a in fw["applied_to"] if a.get("server", {}).get("id") != sid]
                    return Resp(200, {"action": self._action("delete_server", [("server", sid)])})
                if n == 4 and parts[2] == "actions" and m == "POST":
                    return self._power(srv, parts[3])
        elif res == "actions" and n == 2 and m == "GET":
            aid = self._int(parts[1])
            if aid not in self.actions:
                return error(404, "not_found", f"action with ID '{parts[1]}' not found")
            return Resp(200, {"action": self._poll(aid)})
        elif res == "ssh_keys":
            if n == 1 and m == "GET":
                keys = list(self.ssh_keys.values())
                if "name" in req.query:
                    keys = [k for k in keys if k["name"] == req.query["name"][0]]
                return self._list(req, "ssh_keys", keys)
            if n == 1 and m == "POST":
                return self._create_ssh_key(body)
            if n == 2:
                kid = self._int(parts[1])
                if kid not in self.ssh_keys:
                    return error(404, "not_found", f"ssh_key with ID '{parts[1]}' not found")
                if m == "GET":
                    return Resp(200, {"ssh_key": self.ssh_keys[kid]})
                if m == "DELETE":
                    del self.ssh_keys[kid]
                    return Resp(204)
        elif res == "firewalls":
            if n == 1 and m == "GET":
                return self._list(req, "firewalls", list(self.firewalls.values()))
            if n == 1 and m == "POST":
                return self._create_firewall(body)
            if n >= 2:
                fid = self._int(parts[1])
                firewall = self.firewalls.get(fid)
                if firewall is None:
                    return error(404, "not_found", f"firewall with ID '{parts[1]}' not found")
                fw = firewall
                if n == 2 and m == "GET":
                    return Resp(200, {"firewall": fw})
                if n == 2 and m == "DELETE":
                    if fw["applied_to"]:
                        return error(422, "resource_in_use", "firewall is still in use")
                    del self.firewalls[fid]
                    return Resp(204)
                if n == 4 and parts[2] == "actions" and m == "POST":
                    return self._firewall_action(fw, parts[3], body)
        return error(404, "not_found", f"no route for {m} {req.path}")

    @staticmethod
    def _int(s: str) -> int:
        return int(s) if s.isdigit() else -1  # -1: no such object

    def _list(self, req: Req, key: str, items: List[dict]) -> Resp:
        try:
            page = int(req.query.get("page", ["1"])[0])
            per_page = int(req.query.get("per_page", ["25"])[0])
        except ValueError:
            return error(400, "invalid_input", "invalid input in fields 'page', 'per_page'")
        if page < 1 or per_page < 1:
            return error(400, "invalid_input", "invalid input in fields 'page', 'per_page'")
        per_page = min(per_page, 50, self.page_cap)
        items = sorted(items, key=lambda x: x["id"])
        last = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        return Resp(200, {key: chunk, "meta": {"pagination": {
            "page": page, "per_page": per_page, "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < last else None, "last_page": last, "total_entries": len(items)}}})

    # ---- actions ----
    def _action(self, command: str, resources: List[Tuple[str, int]]) -> dict:
        aid = next(self._ids)
        a = {"id": aid, "command": command, "status": "running", "progress": 0, "started": _now(), "finished": None,
             "resources": [{"id": rid, "type": rtype} for rtype, rid in resources], "error": None}
        self.actions[aid] = a
        self._polls[aid] = 0
        return dict(a)

    def _poll(self, aid: int) -> dict:
        a = self.actions[aid]
        if a["status"] == "running":
            self._polls[aid] += 1
            done = self._polls[aid] >= self.action_polls
            a["progress"] = 100 if done else min(99, int(100 * self._polls[aid] / max(1, self.action_polls)))
            if done:
                a["finished"] = _now()
                if a["command"] in self.fail_commands:
                    code, message = self.fail_commands[a["command"]]
                    a["status"] = "error"
                    a["error"] = {"code": code, "message": message}
                else:
                    a["status"] = "success"
                    self._on_success(a)
        return dict(a)

    def _on_success(self, a: dict) -> None:
        for r in a["resources"]:
            srv = self.servers.get(r["id"]) if r["type"] == "server" else None
            if srv is None:
                continue
            if a["command"] in ("create_server", "start_server", "reboot_server", "reset_server"):
                srv["status"] = "running" if srv.get("_start", True) or a["command"] != "create_server" else "off"
            elif a["command"] in ("stop_server", "shutdown_server"):
                srv["status"] = "off"

    # ---- servers ----
    def _select_servers(self, req: Req) -> List[dict]:
        servers = [self._public(s) for s in self.servers.values()]
        if "name" in req.query:
            servers = [s for s in servers if s["name"] == req.query["name"][0]]
        for sel in req.query.get("label_selector", []):
            for term in [t.strip() for t in sel.split(",") if t.strip()]:
                if "!=" in term:
                    k, v = term.split("!=", 1)
                    servers = [s for s in servers if s["labels"].get(k) != v]
                elif "=" in term:
                    k, v = term.split("=", 1)
                    servers = [s for s in servers if s["labels"].get(k.rstrip("=")) == v.lstrip("=")]
                elif term.startswith("!"):
                    servers = [s for s in servers if term[1:] not in s["labels"]]
                else:
                    servers = [s for s in servers if term in s["labels"]]
        return servers

    def _create_server(self, body: dict) -> Resp:
        for f in ("name", "server_type", "image"):
            if not isinstance(body.get(f), str) or not body[f]:
                return error(400, "invalid_input", f"invalid input in field '{f}'",
                             {"fields": [{"name": f, "messages": ["Missing data for required field."]}]})
        name = body["name"]
        if not HOSTNAME.match(name):
            return error(400, "invalid_input", "invalid input in field 'name'",
                         {"fields": [{"name": "name", "messages": ["Name must be a valid hostname."]}]})
        if any(s["name"] == name for s in self.servers.values()):
            return error(409, "uniqueness_error", "server name is already used", {"fields": [{"name": "name"}]})
        if body["server_type"] not in SERVER_TYPES:
            return error(400, "invalid_input", f"unsupported server_type '{body['server_type']}'")
        if body["image"] not in IMAGES:
            return error(400, "invalid_input", f"image '{body['image']}' not found")
        if "location" in body and "datacenter" in body:
            return error(400, "invalid_input", "location and datacenter are mutually exclusive")
        loc = body.get("location") or (body.get("datacenter", "fsn1-dc14").split("-")[0])
        if loc not in LOCATIONS:
            return error(400, "invalid_input", f"location '{loc}' not found")
        labels = body.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            return error(400, "invalid_input", "invalid input in field 'labels'")
        keys = body.get("ssh_keys") or []
        for k in keys:
            if not any(k == s["id"] or k == s["name"] for s in self.ssh_keys.values()):
                return error(400, "invalid_input", f"ssh_key '{k}' not found")
        firewalls = []
        for fw in body.get("firewalls") or []:
            fid = fw.get("firewall") if isinstance(fw, dict) else None
            if fid not in self.firewalls:
                return error(400, "invalid_input", f"firewall '{fid}' not found")
            firewalls.append(fid)
        sid = next(self._ids)
        cores, mem, disk = SERVER_TYPES[body["server_type"]][1:]
        img = IMAGES[body["image"]]
        dc, desc = LOCATIONS[loc]
        start = body.get("start_after_create", True)
        n = len(self.servers) + 1
        srv = {
            "id": sid, "name": name, "status": "initializing", "created": _now(),
            "public_net": {"ipv4": {"id": sid + 1, "ip": f"203.0.113.{n % 250 + 1}", "blocked": False,
                                    "dns_ptr": f"static.{n}.example.invalid"},
                           "ipv6": {"id": sid + 2, "ip": f"2001:db8:{n:x}::/64", "blocked": False, "dns_ptr": []},
                           "floating_ips": [], "firewalls": [{"id": f, "status": "applied"} for f in firewalls]},
            "private_net": [],
            "server_type": {"id": SERVER_TYPES[body["server_type"]][0], "name": body["server_type"], "cores": cores,
                            "memory": mem, "disk": disk, "cpu_type": "shared", "architecture": "x86"},
            "datacenter": {"id": 4, "name": dc, "description": desc,
                           "location": {"name": loc, "description": desc, "country": "DE" if loc != "hel1" else "FI"}},
            "image": {"id": img[0], "type": "system", "status": "available", "name": body["image"],
                      "description": img[1], "os_flavor": img[2], "os_version": img[3]},
            "labels": labels, "locked": False, "rescue_enabled": False, "backup_window": None,
            "protection": {"delete": False, "rebuild": False}, "primary_disk_size": disk,
            "included_traffic": 21990232555520, "outgoing_traffic": 0, "ingoing_traffic": 0,
            "volumes": [], "load_balancers": [], "_start": start,
        }
        self.servers[sid] = srv
        for fid in firewalls:
            self.firewalls[fid]["applied_to"].append({"type": "server", "server": {"id": sid}})
        action = self._action("create_server", [("server", sid)])
        next_actions = [self._action("start_server", [("server", sid)])] if start else []
        return Resp(201, {"server": self._public(srv), "action": action, "next_actions": next_actions,
                          "root_password": None if keys else "Pa55w0rd-from-fake"})

    @staticmethod
    def _public(srv: dict) -> dict:
        return {k: v for k, v in srv.items() if not k.startswith("_")}

    def _power(self, srv: dict, what: str) -> Resp:
        commands = {"poweron": "start_server", "poweroff": "stop_server", "reboot": "reboot_server",
                    "reset": "reset_server", "shutdown": "shutdown_server"}
        if what not in commands:
            return error(404, "not_found", f"action '{what}' not found")
        if srv["status"] == "initializing":
            return error(423, "locked", "server is locked by another action")
        return Resp(201, {"action": self._action(commands[what], [("server", srv["id"])])})

    # ---- SSH keys ----
    def _create_ssh_key(self, body: dict) -> Resp:
        name, key = body.get("name"), body.get("public_key")
        if not isinstance(name, str) or not name:
            return error(400, "invalid_input", "invalid input in field 'name'")
        parts = key.split() if isinstance(key, str) else []
        try:
            blob = base64.b64decode(parts[1], validate=True) if len(parts) >= 2 and parts[0].startswith(("ssh-", "ecdsa-")) else b""
        except ValueError:
            blob = b""
        if not blob:
            return error(400, "invalid_input", "invalid input in field 'public_key'",
                         {"fields": [{"name": "public_key", "messages": ["invalid public key"]}]})
        digest = hashlib.md5(blob).hexdigest()
        fingerprint = ":".join(digest[i:i + 2] for i in range(0, 32, 2))
        if any(k["name"] == name for k in self.ssh_keys.values()):
            return error(409, "uniqueness_error", "SSH key with the same name already exists")
        if any(k["fingerprint"] == fingerprint for k in self.ssh_keys.values()):
            return error(409, "uniqueness_error", "SSH key with the same fingerprint already exists")
        kid = next(self._ids)
        self.ssh_keys[kid] = {"id": kid, "name": name, "fingerprint": fingerprint, "public_key": key,
                              "labels": body.get("labels") or {}, "created": _now()}
        return Resp(201, {"ssh_key": self.ssh_keys[kid]})

    # ---- firewalls ----
    @staticmethod
    def _bad_rules(rules: Any) -> Optional[Resp]:
        if not isinstance(rules, list):
            return error(400, "invalid_input", "invalid input in field 'rules'")
        for r in rules:
            if not isinstance(r, dict) or r.get("direction") not in ("in", "out") or \
                    r.get("protocol") not in ("tcp", "udp", "icmp", "esp", "gre"):
                return error(400, "invalid_input", "invalid input in field 'rules'")
            if r["protocol"] in ("tcp", "udp") and not r.get("port"):
                return error(400, "invalid_input", "invalid input in field 'rules': port is required for tcp and udp")
            ips = r.get("source_ips" if r["direction"] == "in" else "destination_ips")
            if not ips:
                return error(400, "invalid_input", "invalid input in field 'rules': source_ips or destination_ips required")
        return None

    def _create_firewall(self, body: dict) -> Resp:
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return error(400, "invalid_input", "invalid input in field 'name'")
        if any(f["name"] == name for f in self.firewalls.values()):
            return error(409, "uniqueness_error", "firewall name is already used")
        rules = body.get("rules", [])
        bad = self._bad_rules(rules)
        if bad:
            return bad
        fid = next(self._ids)
        fw = {"id": fid, "name": name, "labels": body.get("labels") or {}, "created": _now(), "rules": rules,
              "applied_to": []}
        self.firewalls[fid] = fw
        actions = [self._action("set_firewall_rules", [("firewall", fid)])] if rules else []
        for a in body.get("apply_to") or []:
            sid = a.get("server", {}).get("id")
            if sid not in self.servers:
                del self.firewalls[fid]
                return error(404, "not_found", f"server with ID '{sid}' not found")
            fw["applied_to"].append({"type": "server", "server": {"id": sid}})
            actions.append(self._action("apply_firewall", [("firewall", fid), ("server", sid)]))
        return Resp(201, {"firewall": fw, "actions": actions})

    def _firewall_action(self, fw: dict, what: str, body: dict) -> Resp:
        if what == "set_rules":
            bad = self._bad_rules(body.get("rules"))
            if bad:
                return bad
            fw["rules"] = body["rules"]
            return Resp(201, {"actions": [self._action("set_firewall_rules", [("firewall", fw["id"])])]})
        if what == "apply_to_resources":
            actions = []
            for a in body.get("apply_to") or []:
                sid = a.get("server", {}).get("id") if isinstance(a, dict) else None
                if sid not in self.servers:
                    return error(404, "not_found", f"server with ID '{sid}' not found")
                if any(x["server"]["id"] == sid for x in fw["applied_to"]):
                    return error(422, "firewall_already_applied", f"firewall is already applied to server {sid}")
                fw["applied_to"].append({"type": "server", "server": {"id": sid}})
                self.servers[sid]["public_net"]["firewalls"].append({"id": fw["id"], "status": "applied"})
                actions.append(self._action("apply_firewall", [("firewall", fw["id"]), ("server", sid)]))
            return Resp(201, {"actions": actions})
        return error(404, "not_found", f"action '{what}' not found")
