"""The Hetzner Cloud client through wphost.Provider, against the fake API of
tests/fakes/hetzner.py over HTTPS with a test CA."""
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import wphost
from fakes.fakeserver import TlsFiles, tls_files, wait_for
from fakes.hetzner import FakeHetzner

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2Uta2V5LWZvci10ZXN0cy0wMTIzNDU2Nzg5 test@example"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wphost.Engine]:
    with wphost.Engine(state_dir=str(tmp_path_factory.mktemp("state"))) as e:
        yield e


@pytest.fixture
def hz(tls: TlsFiles) -> Iterator[FakeHetzner]:
    with FakeHetzner(tls) as fake:
        yield fake


def config(fake: FakeHetzner, **extra: Any) -> Dict[str, Any]:
    assert fake.tls is not None
    c: Dict[str, Any] = {"kind": "hetzner", "endpoint": fake.url, "token": fake.token, "ca_bundle": fake.tls.ca,
                         "poll": {"initial_ms": 20, "max_ms": 50}, "retry": {"base_delay_ms": 10, "max_delay_ms": 50}}
    c.update(extra)
    return c


@pytest.fixture
def p(engine: wphost.Engine, hz: FakeHetzner) -> wphost.Provider:
    return wphost.Provider(engine, config(hz))


def create(p: wphost.Provider, name: str = "web1", **kw: Any) -> Dict[str, Any]:
    params = {"name": name, "server_type": "cx22", "image": "debian-12", "location": "fsn1"}
    params.update(kw)
    result: Dict[str, Any] = p.call("server.create", params)
    return result


def test_operations_are_the_documented_ones(p: wphost.Provider) -> None:
    assert set(p.operations) == {
        "server.create", "server.list", "server.get", "server.delete", "server.power", "action.get", "action.wait",
        "ssh_key.create", "ssh_key.list", "ssh_key.get", "ssh_key.delete", "firewall.create", "firewall.list",
        "firewall.get", "firewall.delete", "firewall.set_rules", "firewall.apply"}


def test_server_create_waits_for_its_actions(p: wphost.Provider, hz: FakeHetzner) -> None:
    key = p.call("ssh_key.create", {"name": "deploy", "public_key": KEY, "labels": {"team": "ops"}})["ssh_key"]
    r = create(p, ssh_keys=["deploy"], labels={"role": "web"}, user_data="#cloud-config\n")
    server = r["server"]
    assert server["status"] == "running"  # read again after the actions finished
    assert server["public_net"]["ipv4"]["ip"].startswith("203.0.113.")
    assert server["labels"] == {"role": "web"}
    assert r["action"]["status"] == "success" and r["action"]["command"] == "create_server"
    assert [a["status"] for a in r["next_actions"]] == ["success"]
    assert r.get("root_password") is None  # an SSH key was given
    sent = hz.seen(r"POST /v1/servers$")[0].json()
    assert sent["ssh_keys"] == ["deploy"] and sent["location"] == "fsn1" and sent["user_data"] == "#cloud-config\n"
    assert "wait" not in sent and "timeout_s" not in sent
    # The action was polled until it finished.
    assert len(hz.seen(rf"GET /v1/actions/{r['action']['id']}$")) == hz.action_polls
    assert key["fingerprint"].count(":") == 15
    assert all(req.headers["authorization"] == f"Bearer {hz.token}" for req in hz.requests)


def test_server_create_without_wait_returns_at_once(p: wphost.Provider, hz: FakeHetzner) -> None:
    r = create(p, wait=False)
    assert r["server"]["status"] == "initializing"
    assert r["action"]["status"] == "running"
    assert r["root_password"] == "Pa55w0rd-from-fake"
    assert not hz.seen("GET /v1/actions/")
    done = p.call("action.wait", {"id": r["action"]["id"], "timeout_s": 30})["action"]
    assert done["status"] == "success" and done["progress"] == 100


def test_get_list_power_delete(p: wphost.Provider, hz: FakeHetzner) -> None:
    a = create(p, "a1", labels={"env": "prod"})["server"]
    create(p, "b1", labels={"env": "dev"})
    assert p.call("server.get", {"id": a["id"]})["server"]["name"] == "a1"
    assert [s["name"] for s in p.call("server.list", {"label_selector": "env=prod"})["servers"]] == ["a1"]
    assert [s["name"] for s in p.call("server.list", {"name": "b1"})["servers"]] == ["b1"]
    off = p.call("server.power", {"id": a["id"], "action": "poweroff"})["action"]
    assert off["command"] == "stop_server" and off["status"] == "success"
    assert p.call("server.get", {"id": a["id"]})["server"]["status"] == "off"
    gone = p.call("server.delete", {"id": a["id"]})["action"]
    assert gone["command"] == "delete_server" and gone["status"] == "success"
    with pytest.raises(wphost.NotFound):
        p.call("server.get", {"id": a["id"]})


def test_list_follows_every_page(p: wphost.Provider, hz: FakeHetzner) -> None:
    for i in range(7):
        create(p, f"n{i}", wait=False)
    hz.page_cap = 3
    names = [s["name"] for s in p.call("server.list", {})["servers"]]
    assert names == [f"n{i}" for i in range(7)]
    pages = hz.seen(r"GET /v1/servers$")
    assert [r.query["page"] for r in pages] == [["1"], ["2"], ["3"]]
    assert all(r.query["per_page"] == ["50"] for r in pages)


def test_ssh_keys_and_firewalls(p: wphost.Provider, hz: FakeHetzner) -> None:
    k = p.call("ssh_key.create", {"name": "k1", "public_key": KEY})["ssh_key"]
    assert p.call("ssh_key.get", {"id": k["id"]})["ssh_key"]["public_key"] == KEY
    assert [x["name"] for x in p.call("ssh_key.list")["ssh_keys"]] == ["k1"]
    with pytest.raises(wphost.Conflict) as e:
        p.call("ssh_key.create", {"name": "k2", "public_key": KEY})
    assert e.value.status == 409 and "same fingerprint" in str(e.value)
    assert p.call("ssh_key.delete", {"id": k["id"]}) == {}
    assert p.call("ssh_key.list")["ssh_keys"] == []

    srv = create(p, "fw1")["server"]
    web = [{"direction": "in", "protocol": "tcp", "port": "443", "source_ips": ["0.0.0.0/0", "::/0"]}]
    fw = p.call("firewall.create", {"name": "web", "rules": web, "labels": {"x": "y"}})
    assert fw["firewall"]["rules"] == web and fw["actions"][0]["command"] == "set_firewall_rules"
    fid = fw["firewall"]["id"]
    ssh = web + [{"direction": "in", "protocol": "tcp", "port": "22", "source_ips": ["192.0.2.0/24"]}]
    assert p.call("firewall.set_rules", {"id": fid, "rules": ssh})["actions"][0]["command"] == "set_firewall_rules"
    applied = p.call("firewall.apply", {"id": fid, "server_ids": [srv["id"]]})["actions"]
    assert applied[0]["command"] == "apply_firewall"
    got = p.call("firewall.get", {"id": fid})["firewall"]
    assert got["rules"] == ssh and got["applied_to"] == [{"type": "server", "server": {"id": srv["id"]}}]
    assert [f["name"] for f in p.call("firewall.list")["firewalls"]] == ["web"]
    with pytest.raises(wphost.InvalidInput) as e:  # 422 resource_in_use
        p.call("firewall.delete", {"id": fid})
    assert e.value.status == 422 and "still in use" in str(e.value)
    p.call("server.delete", {"id": srv["id"]})
    assert p.call("firewall.delete", {"id": fid}) == {}


def test_params_are_checked_before_sending(p: wphost.Provider, hz: FakeHetzner) -> None:
    cases = [
        ("server.create", {"server_type": "cx22", "image": "debian-12"}, '"name" is required'),
        ("server.create", {"name": "x", "server_type": "cx22", "image": "debian-12", "labels": {"a": 1}}, "labels.a"),
        ("server.create", {"name": "x", "server_type": "cx22", "image": "debian-12", "ssh_keys": [{}]}, "ssh_keys[0]"),
        ("server.create", {"name": "x", "server_type": "cx22", "image": "debian-12", "sizee": 1}, '"sizee" is not a parameter'),
        ("server.power", {"id": 5, "action": "explode"}, '"action" must be one of'),
        ("server.get", {"id": "five"}, '"id" must be an integer'),
        ("server.get", {"id": -1}, '"id" must be a positive integer'),
        ("action.wait", {"id": 1, "timeout_s": 0}, '"timeout_s"'),
        ("firewall.set_rules", {"id": 1, "rules": [{"direction": "in", "protocol": "tcp"}]}, "port"),
        ("firewall.apply", {"id": 1, "server_ids": []}, '"server_ids" must not be empty'),
        ("server.reboot", {}, 'unknown operation "server.reboot"'),
    ]
    for op, params, text in cases:
        with pytest.raises(wphost.InvalidInput) as e:
            p.call(op, params)
        assert text in str(e.value), (op, str(e.value))
    assert hz.requests == []


def test_action_that_errors(p: wphost.Provider, hz: FakeHetzner) -> None:
    srv = create(p, "e1")["server"]
    hz.fail_commands["reboot_server"] = ("action_failed", "the server did not come back")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("server.power", {"id": srv["id"], "action": "reboot"})
    assert "action_failed" in str(e.value) and "did not come back" in str(e.value)
    hz.fail_commands["create_server"] = ("placement_error", "no capacity in fsn1")
    with pytest.raises(wphost.ProviderError) as e:
        create(p, "e2")
    assert "placement_error: no capacity in fsn1" in str(e.value)
    # The message says that the server exists, so that it is not forgotten.
    (made,) = [s for s in hz.servers.values() if s["name"] == "e2"]
    assert f"server {made['id']} \"e2\" was created" in str(e.value)


def test_action_wait_deadline(engine: wphost.Engine, hz: FakeHetzner) -> None:
    hz.action_polls = 1000
    p = wphost.Provider(engine, config(hz, poll={"initial_ms": 200, "max_ms": 400}))
    r = create(p, "slow", wait=False)
    with pytest.raises(wphost.Timeout) as e:
        p.call("action.wait", {"id": r["action"]["id"], "timeout_s": 1})
    assert "still running" in str(e.value)


def test_bad_token(engine: wphost.Engine, hz: FakeHetzner) -> None:
    p = wphost.Provider(engine, config(hz, token="wrong"))
    with pytest.raises(wphost.AuthError) as e:
        p.call("server.list")
    assert e.value.status == 401 and "unable to authenticate" in str(e.value)
    assert "wrong" not in str(e.value)


def test_not_found_and_conflict(p: wphost.Provider) -> None:
    with pytest.raises(wphost.NotFound) as e:
        p.call("server.get", {"id": 424242})
    assert e.value.status == 404 and "server with ID '424242' not found" in str(e.value)
    create(p, "dup")
    with pytest.raises(wphost.Conflict) as c:
        create(p, "dup")
    assert c.value.status == 409 and "server name is already used" in str(c.value)
    with pytest.raises(wphost.InvalidInput) as i:  # Hetzner's 400 invalid_input
        create(p, "bad_name!")
    assert i.value.status == 400 and "invalid input in field 'name'" in str(i.value)


def test_rate_limit_retry_after_is_honoured(p: wphost.Provider, hz: FakeHetzner) -> None:
    hz.rate_limited(retry_after=1)
    assert p.call("server.list")["servers"] == []
    assert [entry[2] for entry in hz.log] == [429, 200]
    # The retry came after the second the API asked for (the retry policy's
    # own backoff is 10-50 ms here).
    assert hz.log[1][0] - hz.log[0][0] >= 0.95


def test_server_error_then_success_for_a_get(p: wphost.Provider, hz: FakeHetzner) -> None:
    srv = create(p, "r1")["server"]
    before = len(hz.seen(rf"GET /v1/servers/{srv['id']}$"))
    hz.fault(status=500, body={"error": {"code": "server_error", "message": "boom", "details": {}}},
             match=rf"GET /v1/servers/{srv['id']}$")
    assert p.call("server.get", {"id": srv["id"]})["server"]["id"] == srv["id"]
    assert len(hz.seen(rf"GET /v1/servers/{srv['id']}$")) == before + 2


def test_malformed_and_truncated_json(p: wphost.Provider, hz: FakeHetzner) -> None:
    hz.fault(malformed=True, match="GET /v1/servers")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("server.list")
    assert "JSON" in str(e.value) and "malformed" in str(e.value)
    create(p, "t1", wait=False)
    hz.fault(truncate=True, match="GET /v1/servers")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("server.list")
    assert "JSON" in str(e.value) and "truncated" in str(e.value)


def test_response_deadline(engine: wphost.Engine, hz: FakeHetzner) -> None:
    p = wphost.Provider(engine, config(hz, timeouts={"response_ms": 500}, retry={"max_attempts": 1}))
    hz.fault(hang=5, match="GET /v1/servers")
    with pytest.raises(wphost.Timeout):
        p.call("server.list")


def test_untrusted_certificate(engine: wphost.Engine, hz: FakeHetzner) -> None:
    c = config(hz)
    del c["ca_bundle"]
    p = wphost.Provider(engine, c)
    with pytest.raises(wphost.Error) as e:
        p.call("server.list")
    assert "not trusted" in str(e.value)
    assert not isinstance(e.value, wphost.Timeout)


def test_token_from_a_private_file(engine: wphost.Engine, hz: FakeHetzner, tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text(hz.token + "\n")
    f.chmod(0o600)
    c = config(hz)
    del c["token"]
    c["token_file"] = str(f)
    assert wphost.Provider(engine, c).call("server.list") == {"servers": []}
    f.chmod(0o644)
    with pytest.raises(wphost.InvalidInput):
        wphost.Provider(engine, c)


def test_a_waiting_create_can_be_cancelled(p: wphost.Provider, hz: FakeHetzner) -> None:
    hz.action_polls = 100000
    job = p.call_start("server.create", {"name": "c1", "server_type": "cx22", "image": "debian-12"})
    assert wait_for(lambda: bool(hz.seen("GET /v1/actions/")), 20.0)
    assert job.cancel()
    with pytest.raises(wphost.Cancelled) as e:
        job.result()
    assert "server" in str(e.value) and '"c1" was created' in str(e.value)
