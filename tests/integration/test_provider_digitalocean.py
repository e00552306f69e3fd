"""The DigitalOcean client through wphost.Provider, against the fake API of
tests/fakes/digitalocean.py over HTTPS with a test CA."""
from typing import Any, Dict, Iterator

import pytest

import wphost
from fakes.digitalocean import FakeDigitalOcean
from fakes.fakeserver import TlsFiles, tls_files

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRvLWZha2Uta2V5LWZvci10ZXN0cy0wMTIzNDU2Nzg5 test@example"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wphost.Engine]:
    with wphost.Engine(state_dir=str(tmp_path_factory.mktemp("state"))) as e:
        yield e


@pytest.fixture
def do(tls: TlsFiles) -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(tls) as fake:
        yield fake


def config(fake: FakeDigitalOcean, **extra: Any) -> Dict[str, Any]:
    assert fake.tls is not None
    c: Dict[str, Any] = {"kind": "digitalocean", "endpoint": fake.url, "token": fake.token, "ca_bundle": fake.tls.ca,
                         "poll": {"initial_ms": 20, "max_ms": 50}, "retry": {"base_delay_ms": 10, "max_delay_ms": 50}}
    c.update(extra)
    return c


@pytest.fixture
def p(engine: wphost.Engine, do: FakeDigitalOcean) -> wphost.Provider:
    return wphost.Provider(engine, config(do))


def create(p: wphost.Provider, name: str = "web1", **kw: Any) -> Dict[str, Any]:
    params: Dict[str, Any] = {"name": name, "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}
    params.update(kw)
    result: Dict[str, Any] = p.call("droplet.create", params)
    return result


def test_operations_are_the_documented_ones(p: wphost.Provider) -> None:
    assert set(p.operations) == {
        "droplet.create", "droplet.list", "droplet.get", "droplet.delete", "droplet.action", "action.get",
        "action.wait", "ssh_key.create", "ssh_key.list", "ssh_key.get", "ssh_key.delete"}


def test_droplet_create_waits_for_the_create_action(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    key = p.call("ssh_key.create", {"name": "deploy", "public_key": KEY})["ssh_key"]
    r = create(p, ssh_keys=[key["id"], key["fingerprint"]], tags=["web", "prod"], user_data="#cloud-config\n")
    d = r["droplet"]
    assert d["status"] == "active"  # read again once the action completed
    assert d["networks"]["v4"][0]["type"] == "public"
    assert d["tags"] == ["web", "prod"]
    assert r["action"]["type"] == "create" and r["action"]["status"] == "completed"
    sent = do.seen(r"POST /v2/droplets$")[0].json()
    assert sent == {"name": "web1", "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
                    "ssh_keys": [key["id"], key["fingerprint"]], "user_data": "#cloud-config\n", "tags": ["web", "prod"]}
    assert len(do.seen(rf"GET /v2/actions/{r['action']['id']}$")) == do.action_polls
    assert all(req.headers["authorization"] == f"Bearer {do.token}" for req in do.requests)


def test_droplet_create_without_an_action_link_waits_for_active(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    do.create_links = False
    r = create(p)
    assert r["droplet"]["status"] == "active" and "action" not in r
    assert not do.seen("GET /v2/actions/")


def test_droplet_create_without_wait(p: wphost.Provider) -> None:
    r = create(p, wait=False)
    assert r["droplet"]["status"] == "new" and r["action"]["status"] == "in-progress"
    done = p.call("action.wait", {"id": r["action"]["id"]})["action"]
    assert done["status"] == "completed"
    assert p.call("action.get", {"id": r["action"]["id"]})["action"]["status"] == "completed"


def test_get_list_action_delete(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    a = create(p, "a1", tags=["prod"])["droplet"]
    create(p, "b1", tags=["dev"])
    assert p.call("droplet.get", {"id": a["id"]})["droplet"]["name"] == "a1"
    assert [d["name"] for d in p.call("droplet.list", {"tag_name": "prod"})["droplets"]] == ["a1"]
    off = p.call("droplet.action", {"id": a["id"], "type": "power_off"})["action"]
    assert off["type"] == "power_off" and off["status"] == "completed"
    assert p.call("droplet.get", {"id": a["id"]})["droplet"]["status"] == "off"
    assert p.call("droplet.delete", {"id": a["id"]}) == {}
    with pytest.raises(wphost.NotFound) as e:
        p.call("droplet.get", {"id": a["id"]})
    assert e.value.status == 404 and "could not be found" in str(e.value)


def test_list_follows_every_page(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    for i in range(5):
        create(p, f"n{i}", wait=False, tags=["t"])
    do.page_cap = 2
    assert [d["name"] for d in p.call("droplet.list", {"tag_name": "t"})["droplets"]] == [f"n{i}" for i in range(5)]
    pages = do.seen(r"GET /v2/droplets$")
    assert [r.query["page"] for r in pages] == [["1"], ["2"], ["3"]]
    assert all(r.query["tag_name"] == ["t"] for r in pages)


def test_ssh_keys_by_id_and_fingerprint(p: wphost.Provider) -> None:
    k = p.call("ssh_key.create", {"name": "k1", "public_key": KEY})["ssh_key"]
    assert p.call("ssh_key.get", {"id": k["id"]})["ssh_key"]["name"] == "k1"
    assert p.call("ssh_key.get", {"fingerprint": k["fingerprint"]})["ssh_key"]["id"] == k["id"]
    assert [x["id"] for x in p.call("ssh_key.list")["ssh_keys"]] == [k["id"]]
    with pytest.raises(wphost.InvalidInput) as e:  # DigitalOcean's 422
        p.call("ssh_key.create", {"name": "k2", "public_key": KEY})
    assert e.value.status == 422 and "already in use" in str(e.value)
    assert p.call("ssh_key.delete", {"fingerprint": k["fingerprint"]}) == {}
    with pytest.raises(wphost.NotFound):
        p.call("ssh_key.get", {"id": k["id"]})


def test_params_are_checked_before_sending(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    cases = [
        ("droplet.create", {"region": "fra1", "size": "s", "image": "x"}, '"name" is required'),
        ("droplet.create", {"name": "a b", "region": "fra1", "size": "s", "image": "x"}, "only letters, digits"),
        ("droplet.create", {"name": "a", "region": "fra1", "size": "s", "image": -4}, '"image"'),
        ("droplet.create", {"name": "a", "region": "fra1", "size": "s", "image": "x", "tags": [1]}, '"tags"'),
        ("droplet.action", {"id": 1, "type": "explode"}, '"type" must be one of'),
        ("ssh_key.get", {"id": 1, "fingerprint": "aa:bb"}, "cannot be given with"),
        ("ssh_key.get", {"fingerprint": "zz;bb"}, '"fingerprint"'),
        ("droplet.get", {}, '"id" is required'),
        ("droplet.list", {"tag": "x"}, '"tag" is not a parameter'),
    ]
    for op, params, text in cases:
        with pytest.raises(wphost.InvalidInput) as e:
            p.call(op, params)
        assert text in str(e.value), (op, str(e.value))
    assert do.requests == []


def test_action_that_errors(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    d = create(p, "e1")["droplet"]
    do.fail_types.add("reboot")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("droplet.action", {"id": d["id"], "type": "reboot"})
    assert "errored" in str(e.value) and str(d["id"]) in str(e.value)
    do.fail_types.add("create")
    with pytest.raises(wphost.ProviderError) as e:
        create(p, "e2")
    (made,) = [x for x in do.droplets.values() if x["name"] == "e2"]
    assert f"droplet {made['id']} \"e2\" was created" in str(e.value)


def test_bad_token(engine: wphost.Engine, do: FakeDigitalOcean) -> None:
    p = wphost.Provider(engine, config(do, token="dop_v1_wrong"))
    with pytest.raises(wphost.AuthError) as e:
        p.call("droplet.list")
    assert e.value.status == 401 and "Unable to authenticate you" in str(e.value)
    assert "dop_v1_wrong" not in str(e.value)


def test_unprocessable_create(p: wphost.Provider) -> None:
    with pytest.raises(wphost.InvalidInput) as e:
        create(p, region="mars1")
    assert e.value.status == 422 and "invalid region" in str(e.value) and "unprocessable_entity" in str(e.value)


def test_rate_limit_retry_after_is_honoured(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    do.rate_limited(retry_after=1)
    assert p.call("droplet.list")["droplets"] == []
    assert [entry[2] for entry in do.log] == [429, 200]
    assert do.log[1][0] - do.log[0][0] >= 0.95


def test_server_error_then_success_for_a_get(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    d = create(p, "r1", wait=False)["droplet"]
    do.fault(status=500, body={"id": "server_error", "message": "Server was unable to give you a response."},
             match=rf"GET /v2/droplets/{d['id']}$")
    assert p.call("droplet.get", {"id": d["id"]})["droplet"]["id"] == d["id"]
    assert len(do.seen(rf"GET /v2/droplets/{d['id']}$")) == 2


def test_post_is_not_repeated_after_a_server_error(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    do.fault(status=500, body={"id": "server_error", "message": "Server was unable to give you a response."},
             match=r"POST /v2/droplets$")
    with pytest.raises(wphost.ProviderError) as e:
        create(p)
    assert e.value.status == 500 and "unable to give you a response" in str(e.value)
    assert len(do.seen(r"POST /v2/droplets$")) == 1


def test_malformed_and_truncated_json(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    do.fault(malformed=True, match="GET /v2/droplets")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("droplet.list")
    assert "JSON" in str(e.value) and "malformed" in str(e.value)
    do.fault(truncate=True, match="GET /v2/droplets")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("droplet.list")
    assert "JSON" in str(e.value) and "truncated" in str(e.value)


def test_response_deadline(engine: wphost.Engine, do: FakeDigitalOcean) -> None:
    p = wphost.Provider(engine, config(do, timeouts={"response_ms": 500}, retry={"max_attempts": 1}))
    do.fault(hang=5, match="GET /v2/droplets")
    with pytest.raises(wphost.Timeout):
        p.call("droplet.list")


def test_untrusted_certificate(engine: wphost.Engine, do: FakeDigitalOcean) -> None:
    c = config(do)
    del c["ca_bundle"]
    with pytest.raises(wphost.Error) as e:
        wphost.Provider(engine, c).call("droplet.list")
    assert "not trusted" in str(e.value)


def test_next_page_on_another_origin_is_not_followed(p: wphost.Provider, do: FakeDigitalOcean) -> None:
    do.fault(status=200, body={"droplets": [], "links": {"pages": {"next": "https://elsewhere.invalid/v2/droplets?page=2"}},
                               "meta": {"total": 3}}, match="GET /v2/droplets")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("droplet.list")
    assert "another origin" in str(e.value)
    assert len(do.requests) == 1
