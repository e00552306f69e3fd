"""The Cloudflare DNS client through wphost.Provider, against the fake API of
tests/fakes/cloudflare.py over HTTPS with a test CA."""
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import wphost
from fakes.cloudflare import FakeCloudflare
from fakes.fakeserver import TlsFiles, tls_files


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wphost.Engine]:
    with wphost.Engine(state_dir=str(tmp_path_factory.mktemp("state"))) as e:
        yield e


@pytest.fixture
def txt_events() -> List[Tuple[str, str, bool]]:
    return []


@pytest.fixture
def cf(tls: TlsFiles, txt_events: List[Tuple[str, str, bool]]) -> Iterator[FakeCloudflare]:
    with FakeCloudflare(tls, on_txt=lambda n, v, present: txt_events.append((n, v, present))) as fake:
        yield fake


def config(fake: FakeCloudflare, **extra: Any) -> Dict[str, Any]:
    assert fake.tls is not None
    c: Dict[str, Any] = {"kind": "cloudflare", "endpoint": fake.url, "token": fake.token, "ca_bundle": fake.tls.ca,
                         "retry": {"base_delay_ms": 10, "max_delay_ms": 50}}
    c.update(extra)
    return c


@pytest.fixture
def p(engine: wphost.Engine, cf: FakeCloudflare) -> wphost.Provider:
    return wphost.Provider(engine, config(cf))


def test_operations_are_the_documented_ones(p: wphost.Provider) -> None:
    assert set(p.operations) == {"zone.list", "zone.find", "record.list", "record.create", "record.update",
                                 "record.delete"}


def test_zone_find_takes_the_longest_suffix(p: wphost.Provider, cf: FakeCloudflare) -> None:
    top = cf.add_zone("example.com")
    dev = cf.add_zone("dev.example.com")
    cf.add_zone("example.org")
    assert p.call("zone.find", {"name": "_acme-challenge.www.dev.example.com"})["result"]["id"] == dev
    assert p.call("zone.find", {"name": "_acme-challenge.www.example.com."})["result"]["id"] == top
    assert p.call("zone.find", {"name": "Example.COM"})["result"]["name"] == "example.com"
    # Longest candidate first, stopping at the first zone found.
    asked = [r.query["name"][0] for r in cf.seen("GET /client/v4/zones$")]
    assert asked[:3] == ["_acme-challenge.www.dev.example.com", "www.dev.example.com", "dev.example.com"]
    with pytest.raises(wphost.NotFound) as e:
        p.call("zone.find", {"name": "_acme-challenge.shop.example.net"})
    assert "_acme-challenge.shop.example.net" in str(e.value)
    assert sorted(z["name"] for z in p.call("zone.list")["result"]) == ["dev.example.com", "example.com", "example.org"]
    assert [z["name"] for z in p.call("zone.list", {"name": "example.org"})["result"]] == ["example.org"]


def test_txt_record_lifecycle_as_dns01_uses_it(p: wphost.Provider, cf: FakeCloudflare,
                                                txt_events: List[Tuple[str, str, bool]]) -> None:
    cf.add_zone("example.com")
    zone = p.call("zone.find", {"name": "_acme-challenge.www.example.com"})["result"]
    rec = p.call("record.create", {"zone_id": zone["id"], "type": "TXT", "name": "_acme-challenge.www.example.com",
                                   "content": "gfj9Xq-token-value", "ttl": 120})["result"]
    assert rec["type"] == "TXT" and rec["ttl"] == 120 and rec["zone_id"] == zone["id"]
    sent = cf.seen("POST /client/v4/zones/.*/dns_records$")[0].json()
    assert sent == {"type": "TXT", "name": "_acme-challenge.www.example.com", "content": "gfj9Xq-token-value",
                    "ttl": 120}
    assert txt_events == [("_acme-challenge.www.example.com", "gfj9Xq-token-value", True)]
    found = p.call("record.list", {"zone_id": zone["id"], "type": "TXT", "name": "_acme-challenge.www.example.com"})
    assert [r["id"] for r in found["result"]] == [rec["id"]]
    assert p.call("record.delete", {"zone_id": zone["id"], "id": rec["id"]})["result"] == {"id": rec["id"]}
    assert txt_events[-1] == ("_acme-challenge.www.example.com", "gfj9Xq-token-value", False)
    assert p.call("record.list", {"zone_id": zone["id"]})["result"] == []


def test_records_by_zone_name_update_and_defaults(p: wphost.Provider, cf: FakeCloudflare) -> None:
    zid = cf.add_zone("example.com")
    a = p.call("record.create", {"zone": "example.com", "type": "a", "name": "www.example.com",
                                 "content": "192.0.2.10", "proxied": True, "comment": "web"})["result"]
    assert a["type"] == "A" and a["ttl"] == 1 and a["proxied"] is True and a["comment"] == "web"
    upd = p.call("record.update", {"zone": "example.com", "id": a["id"], "content": "192.0.2.11", "ttl": 300})["result"]
    assert upd["content"] == "192.0.2.11" and upd["ttl"] == 300 and upd["name"] == "www.example.com"
    patch = cf.seen(f"PATCH /client/v4/zones/{zid}/dns_records/{a['id']}$")[0]
    assert patch.json() == {"content": "192.0.2.11", "ttl": 300}
    assert [r["content"] for r in p.call("record.list", {"zone": "example.com", "content": "192.0.2.11"})["result"]] == [
        "192.0.2.11"]
    with pytest.raises(wphost.NotFound) as e:
        p.call("record.list", {"zone": "example.net"})
    assert "example.net" in str(e.value)


def test_record_list_follows_every_page(p: wphost.Provider, cf: FakeCloudflare) -> None:
    zid = cf.add_zone("example.com")
    for i in range(5):
        p.call("record.create", {"zone_id": zid, "type": "TXT", "name": "many.example.com", "content": f"v{i}"})
    cf.page_cap = 2
    got = p.call("record.list", {"zone_id": zid, "type": "TXT"})["result"]
    assert [r["content"] for r in got] == [f"v{i}" for i in range(5)]
    pages = cf.seen(f"GET /client/v4/zones/{zid}/dns_records$")
    assert [r.query["page"] for r in pages] == [["1"], ["2"], ["3"]]
    assert all(r.query["per_page"] == ["100"] and r.query["type"] == ["TXT"] for r in pages)


def test_records_are_checked_before_sending(p: wphost.Provider, cf: FakeCloudflare) -> None:
    z = "0123456789abcdef0123456789abcdef"
    cases = [
        ({"zone_id": z, "type": "BOGUS", "name": "a.example.com", "content": "x"}, '"type"'),
        ({"zone_id": z, "type": "A", "name": "a.example.com", "content": "300.1.1.1"}, "not an IPv4 address"),
        ({"zone_id": z, "type": "AAAA", "name": "a.example.com", "content": "192.0.2.1"}, "not an IPv6 address"),
        ({"zone_id": z, "type": "CNAME", "name": "a.example.com", "content": "bad host!"}, "not a host name"),
        ({"zone_id": z, "type": "TXT", "name": "a..example.com", "content": "x"}, "empty label"),
        ({"zone_id": z, "type": "TXT", "name": "a.*.example.com", "content": "x"}, "'*' may only be the first label"),
        ({"zone_id": z, "type": "TXT", "name": "bücher.example.com", "content": "x"}, "Punycode"),
        ({"zone_id": z, "type": "TXT", "name": "a.example.com", "content": "x" * 2049}, "2048"),
        ({"zone_id": z, "type": "TXT", "name": "a.example.com", "content": "x", "ttl": 5}, '"ttl"'),
        ({"zone_id": z, "type": "TXT", "name": "a.example.com", "content": "x", "proxied": True}, "proxied"),
        ({"zone_id": "nothex", "type": "TXT", "name": "a.example.com", "content": "x"}, '"zone_id"'),
        ({"type": "TXT", "name": "a.example.com", "content": "x"}, '"zone_id" is required'),
        ({"zone_id": z, "zone": "example.com", "type": "TXT", "name": "a.example.com", "content": "x"}, "cannot be given"),
        ({"zone_id": z, "type": "TXT", "content": "x"}, '"name" is required'),
    ]
    for params, text in cases:
        with pytest.raises(wphost.InvalidInput) as e:
            p.call("record.create", params)
        assert text in str(e.value), (params, str(e.value))
        assert "record.create" in str(e.value)
    with pytest.raises(wphost.InvalidInput) as e:
        p.call("record.update", {"zone_id": z, "id": z})
    assert "nothing to change" in str(e.value)
    with pytest.raises(wphost.InvalidInput):
        p.call("record.delete", {"zone_id": z, "id": "1"})
    assert cf.requests == []


def test_duplicate_record_is_cloudflares_81057(p: wphost.Provider, cf: FakeCloudflare) -> None:
    zid = cf.add_zone("example.com")
    params = {"zone_id": zid, "type": "TXT", "name": "_acme-challenge.example.com", "content": "abc"}
    p.call("record.create", params)
    with pytest.raises(wphost.InvalidInput) as e:
        p.call("record.create", params)
    assert e.value.status == 400
    assert f"POST /client/v4/zones/{zid}/dns_records" in str(e.value)
    assert "81057 Record already exists." in str(e.value)


def test_success_false_with_status_200_is_an_error(p: wphost.Provider, cf: FakeCloudflare) -> None:
    cf.add_zone("example.com")
    cf.fault(status=200, match="GET /client/v4/zones$",
             body={"success": False, "errors": [{"code": 1003, "message": "Invalid or missing zone id."}],
                   "messages": [], "result": None})
    with pytest.raises(wphost.ProviderError) as e:
        p.call("zone.list")
    assert e.value.status == 200 and "1003 Invalid or missing zone id." in str(e.value)


def test_missing_record_and_unknown_zone(p: wphost.Provider, cf: FakeCloudflare) -> None:
    zid = cf.add_zone("example.com")
    with pytest.raises(wphost.NotFound) as e:
        p.call("record.delete", {"zone_id": zid, "id": "f" * 32})
    assert e.value.status == 404 and "81044 Record does not exist." in str(e.value)
    with pytest.raises(wphost.InvalidInput) as i:
        p.call("record.list", {"zone_id": "e" * 32})
    assert i.value.status == 400 and "7003" in str(i.value)


def test_bad_token(engine: wphost.Engine, cf: FakeCloudflare) -> None:
    p = wphost.Provider(engine, config(cf, token="cf-wrong-token"))
    with pytest.raises(wphost.AuthError) as e:
        p.call("zone.list")
    assert e.value.status == 401 and "10000 Authentication error" in str(e.value)
    assert "cf-wrong-token" not in str(e.value)


def test_rate_limit_retry_after_is_honoured(p: wphost.Provider, cf: FakeCloudflare) -> None:
    cf.rate_limited(retry_after=1)
    assert p.call("zone.list")["result"] == []
    assert [entry[2] for entry in cf.log] == [429, 200]
    assert cf.log[1][0] - cf.log[0][0] >= 0.95


def test_server_error_then_success_for_a_get(p: wphost.Provider, cf: FakeCloudflare) -> None:
    cf.add_zone("example.com")
    cf.fault(status=502, body="<html>bad gateway</html>", match="GET /client/v4/zones$")
    assert [z["name"] for z in p.call("zone.list")["result"]] == ["example.com"]
    assert len(cf.seen("GET /client/v4/zones$")) == 2


def test_malformed_and_truncated_json(p: wphost.Provider, cf: FakeCloudflare) -> None:
    cf.add_zone("example.com")
    cf.fault(malformed=True, match="GET /client/v4/zones$")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("zone.list")
    assert "JSON" in str(e.value) and "malformed" in str(e.value)
    cf.fault(truncate=True, match="GET /client/v4/zones$")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("zone.find", {"name": "www.example.com"})
    assert "JSON" in str(e.value) and "truncated" in str(e.value)


def test_response_deadline(engine: wphost.Engine, cf: FakeCloudflare) -> None:
    p = wphost.Provider(engine, config(cf, timeouts={"response_ms": 500}, retry={"max_attempts": 1}))
    cf.fault(hang=5, match="GET /client/v4/zones")
    with pytest.raises(wphost.Timeout):
        p.call("zone.list")


def test_untrusted_certificate(engine: wphost.Engine, cf: FakeCloudflare) -> None:
    c = config(cf)
    del c["ca_bundle"]
    with pytest.raises(wphost.Error) as e:
        wphost.Provider(engine, c).call("zone.list")
    assert "not trusted" in str(e.value)
