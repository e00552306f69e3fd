"""`wphost provider`, `wphost cert` and `wphost events` from the command line:
a provider called through its configuration file (token in a 0600 file),
redacted HTTP logging, clear refusals, the empty certificate list."""
import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from fakes.cloudflare import FakeCloudflare
from fakes.fakeserver import tls_files


def run(cli: str, *args: str, env: dict = None) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def cf(tmp_path: Path) -> Iterator[FakeCloudflare]:
    with FakeCloudflare(tls_files(tmp_path / "tls")) as fake:
        fake.add_zone("example.com")
        yield fake


def write_config(tmp_path: Path, fake: FakeCloudflare, token_mode: int = 0o600) -> Path:
    token = tmp_path / "cf.token"
    token.write_text(fake.token + "\n")
    token.chmod(token_mode)
    assert fake.tls is not None
    cfg = tmp_path / "cf.json"
    cfg.write_text(json.dumps({"kind": "cloudflare", "endpoint": fake.url, "token_file": str(token),
                               "ca_bundle": fake.tls.ca}))
    return cfg


def test_provider_kinds_and_ops(cli: str, state_dir: str, tmp_path: Path, cf: FakeCloudflare) -> None:
    r = run(cli, "provider", "kinds")
    assert r.returncode == 0 and json.loads(r.stdout) == ["cloudflare", "digitalocean", "hetzner", "s3"]
    r = run(cli, "--state-dir", state_dir, "provider", "ops", "--config", str(write_config(tmp_path, cf)))
    assert r.returncode == 0, r.stderr
    assert "record.create" in r.stdout.split()


def test_provider_call_creates_a_record_and_logs_without_the_token(cli: str, state_dir: str, tmp_path: Path,
                                                                  cf: FakeCloudflare) -> None:
    cfg = write_config(tmp_path, cf)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"zone": "example.com", "type": "TXT", "name": "_acme-challenge.example.com",
                                  "content": "hello", "ttl": 60}))
    r = run(cli, "--state-dir", state_dir, "provider", "call", "--config", str(cfg), "record.create", "@" + str(params),
            env={"WPHOST_HTTP_LOG": "1"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["result"]["content"] == "hello"
    assert "wphost http: cloudflare POST" in r.stderr
    assert cf.token not in r.stderr and cf.token not in r.stdout
    r = run(cli, "--state-dir", state_dir, "--json", "provider", "call", "--config", str(cfg), "record.list",
            '{"zone": "example.com", "type": "TXT"}')
    assert [x["name"] for x in json.loads(r.stdout)["result"]] == ["_acme-challenge.example.com"]


def test_provider_refusals_are_one_clear_line(cli: str, state_dir: str, tmp_path: Path, cf: FakeCloudflare) -> None:
    loose = write_config(tmp_path, cf, token_mode=0o644)
    r = run(cli, "--state-dir", state_dir, "provider", "call", "--config", str(loose), "zone.list")
    assert r.returncode == 1
    assert "chmod 600" in r.stderr and "[WPH_EINVALID]" in r.stderr
    assert not cf.server.requests  # refused before anything was sent
    good = write_config(tmp_path, cf)
    r = run(cli, "--state-dir", state_dir, "provider", "call", "--config", str(good), "record.create", '{"zone": "example.com"}')
    assert r.returncode == 1 and '"type"' in r.stderr and "[WPH_EINVALID]" in r.stderr
    r = run(cli, "--state-dir", state_dir, "provider", "call", "--config", str(good), "zone.find", '{"name": "other.org"}')
    assert r.returncode == 1 and "[WPH_ENOTFOUND]" in r.stderr
    r = run(cli, "provider", "call", "zone.list")
    assert r.returncode == 2 and "--config" in r.stderr


def test_cert_list_and_events_start_empty(cli: str, state_dir: str) -> None:
    r = run(cli, "--state-dir", state_dir, "cert", "list")
    assert r.returncode == 0 and r.stdout.strip() == "no certificates"
    r = run(cli, "--state-dir", state_dir, "--json", "events", "--kind", "cert.")
    assert r.returncode == 0 and json.loads(r.stdout) == []
    r = run(cli, "--state-dir", state_dir, "cert", "issue")
    assert r.returncode == 1 and "names" in r.stderr and "[WPH_EINVALID]" in r.stderr
    r = run(cli, "--state-dir", state_dir, "cert", "show", "nothing.example.com")
    assert r.returncode == 1 and "[WPH_ENOTFOUND]" in r.stderr
