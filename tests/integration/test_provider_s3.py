"""The S3 client through wphost.Provider, against the fake S3 of
tests/fakes/s3.py over HTTPS with a test CA. The fake checks every request's
SigV4 signature with botocore's signer; the signer is also compared with
botocore's directly (request.sign, object.presign)."""
import base64
import datetime
import hashlib
import os
import ssl
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import botocore.auth
import botocore.session
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

import wphost
from fakes.fakeserver import TlsFiles, tls_files, wait_for
from fakes.s3 import HOST_SUFFIX, FakeS3

BUCKET = "bucket"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(tmp_path_factory.mktemp("tls"), names=[f"{BUCKET}.{HOST_SUFFIX}", HOST_SUFFIX])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wphost.Engine]:
    with wphost.Engine(state_dir=str(tmp_path_factory.mktemp("state"))) as e:
        yield e


@pytest.fixture
def s3(tls: TlsFiles) -> Iterator[FakeS3]:
    with FakeS3(tls) as fake:
        yield fake


def config(fake: FakeS3, **extra: Any) -> Dict[str, Any]:
    c: Dict[str, Any] = {"kind": "s3", "endpoint": fake.url, "bucket": BUCKET, "region": fake.region,
                         "access_key_id": fake.access_key, "secret_access_key": fake.secret_key,
                         "ca_bundle": fake.tls.ca, "retry": {"base_delay_ms": 10, "max_delay_ms": 50}}
    c.update(extra)
    return c


@pytest.fixture
def p(engine: wphost.Engine, s3: FakeS3) -> wphost.Provider:
    return wphost.Provider(engine, config(s3))


def no_bad_signatures(fake: FakeS3) -> None:
    assert fake.bad_signatures == []


def pending_uploads(p: wphost.Provider, fake: FakeS3) -> List[str]:
    """ListMultipartUploads, signed with request.sign and sent with urllib."""
    signed = p.call("request.sign", {"method": "GET", "url": f"{fake.url}/{BUCKET}?uploads"})
    req = urllib.request.Request(signed["url"], headers=signed["headers"])
    ctx = ssl.create_default_context(cafile=fake.tls.ca)
    with urllib.request.urlopen(req, context=ctx) as r:
        body = r.read().decode()
    return [part.split("</UploadId>")[0] for part in body.split("<UploadId>")[1:]]


def test_operations_are_the_documented_ones(p: wphost.Provider) -> None:
    assert set(p.operations) == {"object.list", "object.put", "object.get", "object.head", "object.delete",
                                 "object.upload", "object.presign", "request.sign"}


def test_put_get_head_delete_round_trip(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    key = "dir/caf\u00e9 + a=b & c.txt"
    put = p.call("object.put", {"key": key, "data": "hello \u00e9", "content_type": "text/plain; charset=utf-8"})
    assert put["etag"] == hashlib.md5("hello \u00e9".encode()).hexdigest()
    assert s3.buckets[BUCKET][key].data == "hello \u00e9".encode()

    got = p.call("object.get", {"key": key})
    assert got["data"] == "hello \u00e9"
    assert got["size"] == len("hello \u00e9".encode())
    assert got["etag"] == put["etag"]
    assert got["content_type"] == "text/plain; charset=utf-8"

    binary = bytes(range(256)) * 3
    p.call("object.put", {"key": "bin", "data_base64": base64.b64encode(binary).decode()})
    got = p.call("object.get", {"key": "bin"})
    assert "data" not in got and base64.b64decode(got["data_base64"]) == binary

    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(300_000))
    p.call("object.put", {"key": "from-file", "file": str(src)})
    dest = tmp_path / "out" / "copy.bin"
    dest.parent.mkdir()
    got = p.call("object.get", {"key": "from-file", "file": str(dest)})
    assert dest.read_bytes() == src.read_bytes()
    assert got["size"] == 300_000
    assert sorted(os.listdir(dest.parent)) == ["copy.bin"]  # no temporary file left

    s3.buckets[BUCKET][key].meta["owner"] = "site-1"
    head = p.call("object.head", {"key": key})
    assert head["size"] == len("hello \u00e9".encode())
    assert head["etag"] == put["etag"]
    assert head["content_type"] == "text/plain; charset=utf-8"
    assert head["metadata"] == {"owner": "site-1"}
    assert head["last_modified"].endswith("GMT")

    assert p.call("object.delete", {"key": key}) == {}
    assert key not in s3.buckets[BUCKET]
    with pytest.raises(wphost.NotFound) as e:
        p.call("object.head", {"key": key})
    assert e.value.status == 404
    no_bad_signatures(s3)


def test_get_with_range_is_206(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    p.call("object.put", {"key": "r", "data": "0123456789abcdef"})
    got = p.call("object.get", {"key": "r", "range": {"offset": 3, "length": 4}})
    assert got["data"] == "3456" and got["status"] == 206
    assert got["content_range"] == "bytes 3-6/16"
    assert p.call("object.get", {"key": "r", "range": "bytes=10-"})["data"] == "abcdef"
    dest = tmp_path / "part"
    p.call("object.get", {"key": "r", "range": {"offset": 14}, "file": str(dest)})
    assert dest.read_bytes() == b"ef"
    assert s3.seen("GET /bucket/r")[-1].headers["range"] == "bytes=14-"
    with pytest.raises(wphost.InvalidInput, match='"range"'):
        p.call("object.get", {"key": "r", "range": "3-4"})
    with pytest.raises(wphost.ProviderError) as e:
        p.call("object.get", {"key": "r", "range": "bytes=100-"})
    assert e.value.status == 416 and "InvalidRange" in str(e.value)


def test_list_follows_continuation_tokens(p: wphost.Provider, s3: FakeS3) -> None:
    keys = ["a/1", "a/2", "a/sub/3", "a/sub/4", "a/x y+z", "b/1", "top"]
    for k in keys:
        p.call("object.put", {"key": k, "data": k})
    before = len(s3.seen(r"^GET /bucket$"))
    r = p.call("object.list", {"max_keys": 2})
    assert [o["key"] for o in r["objects"]] == keys
    assert r["prefixes"] == []
    assert len(s3.seen(r"^GET /bucket$")) - before == 4  # 7 keys, 2 per page
    first = r["objects"][0]
    assert first["size"] == 3 and first["etag"] == hashlib.md5(b"a/1").hexdigest() and first["last_modified"]

    r = p.call("object.list", {"prefix": "a/", "delimiter": "/", "max_keys": 2})
    assert [o["key"] for o in r["objects"]] == ["a/1", "a/2", "a/x y+z"]
    assert r["prefixes"] == ["a/sub/"]

    r = p.call("object.list", {"prefix": "a/", "limit": 3, "max_keys": 2})
    assert [o["key"] for o in r["objects"]] == ["a/1", "a/2", "a/sub/3"]
    r = p.call("object.list", {"start_after": "a/x y+z"})
    assert [o["key"] for o in r["objects"]] == ["b/1", "top"]
    no_bad_signatures(s3)


def test_multipart_upload_in_parts(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    data = os.urandom(12 * MiB + 12345)
    src.write_bytes(data)
    r = p.call("object.upload", {"key": "backups/big.bin", "file": str(src), "part_size_mb": 5,
                                 "content_type": "application/x-tar"})
    parts = [q for q in s3.seen(r"^PUT /bucket/backups/big\.bin$") if "partNumber" in q.query]
    assert [q.query["partNumber"][0] for q in parts] == ["1", "2", "3"]
    assert [len(q.body) for q in parts] == [5 * MiB, 5 * MiB, 2 * MiB + 12345]
    obj = s3.buckets[BUCKET]["backups/big.bin"]
    assert obj.data == data
    assert obj.content_type == "application/x-tar"
    assert r["etag"].endswith("-3") and r["etag"] == obj.etag.strip('"')
    assert pending_uploads(p, s3) == []
    # The download streams into the file.
    dest = tmp_path / "back.bin"
    got = p.call("object.get", {"key": "backups/big.bin", "file": str(dest)})
    assert got["size"] == len(data) and dest.read_bytes() == data
    no_bad_signatures(s3)


def test_a_part_answered_slow_down_is_sent_again(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    data = os.urandom(11 * MiB)
    src.write_bytes(data)
    s3.fail_parts[2] = (503, "SlowDown")
    p.call("object.upload", {"key": "retried", "file": str(src), "part_size_mb": 5})
    sent = [q.query["partNumber"][0] for q in s3.seen(r"^PUT /bucket/retried$")]
    assert sent == ["1", "2", "2", "3"]
    assert s3.buckets[BUCKET]["retried"].data == data
    no_bad_signatures(s3)


def test_put_of_a_large_file_goes_multipart(engine: wphost.Engine, s3: FakeS3, tmp_path: Path) -> None:
    p = wphost.Provider(engine, config(s3, part_size_mb=5, multipart_threshold_mb=5))
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(6 * MiB))
    p.call("object.put", {"key": "auto", "file": str(src)})
    assert len(s3.seen(r"^POST /bucket/auto$")) == 2  # create and complete
    assert s3.buckets[BUCKET]["auto"].data == src.read_bytes()


def test_failed_part_aborts_the_upload(engine: wphost.Engine, s3: FakeS3, tmp_path: Path) -> None:
    p = wphost.Provider(engine, config(s3, retry={"max_attempts": 1}))
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * MiB))
    s3.fail_parts[2] = (500, "InternalError")
    with pytest.raises(wphost.ProviderError) as e:
        p.call("object.upload", {"key": "broken", "file": str(src), "part_size_mb": 5})
    assert e.value.status == 500 and "InternalError" in str(e.value)
    assert len(s3.seen(r"^DELETE /bucket/broken$")) == 1
    assert s3.uploads == {}
    assert pending_uploads(p, s3) == []
    assert "broken" not in s3.buckets[BUCKET]


def test_a_cancelled_upload_is_aborted(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * MiB))
    s3.fault(delay=30.0, count=1, match=r"^PUT /bucket/cancelled$")  # part 1 hangs until cancelled
    job = p.call_start("object.upload", {"key": "cancelled", "file": str(src), "part_size_mb": 5})
    assert wait_for(lambda: len(s3.seen(r"^PUT /bucket/cancelled$")) == 1)
    job.cancel()
    assert job.wait(20)
    with pytest.raises(wphost.Cancelled):
        job.result()
    assert len(s3.seen(r"^DELETE /bucket/cancelled$")) == 1
    assert pending_uploads(p, s3) == []


def test_complete_answering_200_with_an_error_is_an_error(p: wphost.Provider, s3: FakeS3, tmp_path: Path) -> None:
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(6 * MiB))
    s3.complete_error = "InternalError"
    with pytest.raises(wphost.ProviderError, match="InternalError"):
        p.call("object.upload", {"key": "c", "file": str(src), "part_size_mb": 5})
    assert pending_uploads(p, s3) == []
    assert "c" not in s3.buckets[BUCKET]


def test_wrong_secret_is_an_auth_error(engine: wphost.Engine, s3: FakeS3) -> None:
    p = wphost.Provider(engine, config(s3, secret_access_key="not-the-secret"))
    with pytest.raises(wphost.AuthError) as e:
        p.call("object.put", {"key": "k", "data": "x"})
    assert e.value.status == 403
    assert "SignatureDoesNotMatch" in str(e.value)
    assert "not-the-secret" not in str(e.value)
    p = wphost.Provider(engine, config(s3, access_key_id="AKIDUNKNOWN"))
    with pytest.raises(wphost.AuthError, match="InvalidAccessKeyId"):
        p.call("object.list", {})


def test_missing_key_and_bucket_are_not_found(engine: wphost.Engine, p: wphost.Provider, s3: FakeS3) -> None:
    with pytest.raises(wphost.NotFound, match="NoSuchKey: The specified key does not exist"):
        p.call("object.get", {"key": "nope"})
    other = wphost.Provider(engine, config(s3, bucket="other"))
    with pytest.raises(wphost.NotFound, match="NoSuchBucket"):
        other.call("object.list", {})


def test_slow_down_is_retried(p: wphost.Provider, s3: FakeS3) -> None:
    p.call("object.put", {"key": "k", "data": "v"})
    s3.fault(status=503, count=1, match=r"^GET /bucket/k$", headers={"Content-Type": "application/xml"},
             body="<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
    assert p.call("object.get", {"key": "k"})["data"] == "v"
    assert len(s3.seen(r"^GET /bucket/k$")) == 2


def test_virtual_hosted_style(engine: wphost.Engine, s3: FakeS3) -> None:
    p = wphost.Provider(engine, config(s3, endpoint=f"https://{HOST_SUFFIX}:{s3.port}", path_style=False,
                                       resolve=[f"{BUCKET}.{HOST_SUFFIX}:{s3.port}:127.0.0.1"]))
    p.call("object.put", {"key": "v/h k", "data": "virtual"})
    assert p.call("object.get", {"key": "v/h k"})["data"] == "virtual"
    assert [o["key"] for o in p.call("object.list", {"prefix": "v/"})["objects"]] == ["v/h k"]
    last = s3.requests[-1]
    assert last.headers["host"] == f"{BUCKET}.{HOST_SUFFIX}:{s3.port}" and last.path == "/"
    assert s3.seen(r"^PUT /v/h%20k$")
    no_bad_signatures(s3)


def test_session_token_is_signed(engine: wphost.Engine, tls: TlsFiles) -> None:
    with FakeS3(tls, session_token="FQoGZXIvYXdzE//token+with/slashes==") as fake:
        p = wphost.Provider(engine, config(fake, session_token="FQoGZXIvYXdzE//token+with/slashes=="))
        p.call("object.put", {"key": "t", "data": "x"})
        assert fake.requests[-1].headers["x-amz-security-token"] == "FQoGZXIvYXdzE//token+with/slashes=="
        bad = wphost.Provider(engine, config(fake))
        with pytest.raises(wphost.AuthError):
            bad.call("object.get", {"key": "t"})
        no_bad_signatures(fake)


def test_bad_parameters_name_the_field(p: wphost.Provider) -> None:
    for params, field in [({"key": ""}, '"key"'), ({"key": "k" * 1025}, '"key"'), ({"key": "a/../b"}, '"key"'),
                          ({"key": "k", "bogus": 1}, '"bogus"'),
                          ({"key": "k", "range": 5}, '"range"')]:
        with pytest.raises(wphost.InvalidInput, match=field):
            p.call("object.get", params)
    with pytest.raises(wphost.InvalidInput, match='"file"'):
        p.call("object.put", {"key": "k", "data": "x", "file": "/etc/hostname"})
    with pytest.raises(wphost.NotFound, match="/nonexistent/file"):
        p.call("object.put", {"key": "k", "file": "/nonexistent/file"})
    with pytest.raises(wphost.InvalidInput, match='"file"'):
        p.call("object.put", {"key": "k", "file": "/tmp"})
    with pytest.raises(wphost.InvalidInput, match='"expires_s"'):
        p.call("object.presign", {"key": "k", "expires_s": 604801})
    with pytest.raises(wphost.InvalidInput, match='"part_size_mb"'):
        p.call("object.upload", {"key": "k", "file": "/etc/hostname", "part_size_mb": 4})


# ---- the signer against botocore ----

AMZ_DATE = "20150830T123600Z"
FROZEN = datetime.datetime(2015, 8, 30, 12, 36, 0)


def enc(key: str) -> str:
    """A key as botocore's serializer puts it in a URL."""
    return quote(key, safe="/~")


UTF8_KEY = "caf\u00e9/\u1234/\U0001F600 x"
SIGN_CASES = [
    ("GET", f"https://{BUCKET}.s3.amazonaws.com/{enc('plain.txt')}", {}, None),
    ("GET", f"https://s3.eu-west-1.amazonaws.com/{BUCKET}/{enc('with space/and+plus=eq.txt')}", {}, None),
    ("GET", f"https://{BUCKET}.s3.amazonaws.com/{enc(UTF8_KEY)}", {"Range": "bytes=0-99"}, None),
    ("GET", f"https://{BUCKET}.s3.amazonaws.com/?list-type=2&prefix={quote('a b/+c=d&e', safe='')}"
            f"&continuation-token={quote('1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=', safe='')}&max-keys=2", {}, None),
    ("PUT", f"https://{BUCKET}.s3.amazonaws.com/{enc('k')}?partNumber=3&uploadId={quote('VXBsb2Fk+ID/x=', safe='')}",
     {"Content-Type": "application/octet-stream", "x-amz-meta-Owner": "  site   one "}, b"part data"),
    ("POST", f"https://{BUCKET}.s3.amazonaws.com/{enc('k')}?uploads", {"Content-Type": "text/plain"}, b""),
    ("PUT", f"http://127.0.0.1:9000/{BUCKET}/{enc('unsigned body')}", {}, "UNSIGNED-PAYLOAD"),
    ("DELETE", f"https://s3.us-west-002.backblazeb2.com/{BUCKET}/{enc('b2/key')}", {}, None),
]


def botocore_sign(method: str, url: str, headers: Dict[str, str], body: Any, region: str,
                  token: Any = None) -> Dict[str, str]:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    req = AWSRequest(method=method, url=url, headers=dict(headers),
                     data=b"" if body in (None, "UNSIGNED-PAYLOAD") else body)
    if body == "UNSIGNED-PAYLOAD":
        req.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    with mock.patch.object(botocore.auth.datetime, "datetime", wraps=datetime.datetime) as dt:
        dt.utcnow.return_value = FROZEN
        S3SigV4Auth(creds, "s3", region).add_auth(req)
    return dict(req.headers)


@pytest.mark.parametrize("token", [None, "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWH=="])
@pytest.mark.parametrize("method,url,headers,body", SIGN_CASES)
def test_request_sign_matches_botocore(engine: wphost.Engine, method: str, url: str, headers: Dict[str, str],
                                       body: Any, token: Any) -> None:
    region = "eu-west-1" if "eu-west-1" in url else ("us-west-002" if "backblaze" in url else "us-east-1")
    cfg = {"kind": "s3", "bucket": BUCKET, "region": region, "access_key_id": "AKIDEXAMPLE",
           "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
    if token:
        cfg["session_token"] = token
    p = wphost.Provider(engine, cfg)
    params: Dict[str, Any] = {"method": method, "url": url, "headers": headers, "time": AMZ_DATE}
    if body == "UNSIGNED-PAYLOAD":
        params["payload_sha256"] = body
    elif body is not None:
        params["body"] = body.decode()
    ours = p.call("request.sign", params)
    theirs = botocore_sign(method, url, headers, body, region, token)
    assert ours["headers"]["authorization"] == theirs["Authorization"]
    assert ours["headers"]["x-amz-date"] == theirs["X-Amz-Date"] == AMZ_DATE
    assert ours["headers"]["x-amz-content-sha256"] == theirs["X-Amz-Content-SHA256"]
    if token:
        assert ours["headers"]["x-amz-security-token"] == token
    assert ours["canonical_request"].split("\n")[0] == method
    assert ours["string_to_sign"].startswith("AWS4-HMAC-SHA256\n" + AMZ_DATE + "\n")


@pytest.mark.parametrize("path", ["/", "/a b/../c//d/", "/%E1%88%B4/x%20y"])
def test_request_sign_for_other_services_matches_botocore(engine: wphost.Engine, path: str) -> None:
    from botocore.auth import SigV4Auth
    p = wphost.Provider(engine, {"kind": "s3", "bucket": BUCKET, "access_key_id": "AKIDEXAMPLE",
                                 "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"})
    url = f"https://abc123.execute-api.eu-central-1.amazonaws.com{path}?b=2&a=x%2Fy"
    ours = p.call("request.sign", {"method": "POST", "url": url, "body": '{"a": 1}', "time": AMZ_DATE,
                                   "service": "execute-api", "region": "eu-central-1",
                                   "headers": {"Content-Type": "application/json"}})
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    req = AWSRequest(method="POST", url=url, headers={"Content-Type": "application/json"}, data=b'{"a": 1}')
    with mock.patch.object(botocore.auth.datetime, "datetime", wraps=datetime.datetime) as dt:
        dt.utcnow.return_value = FROZEN
        SigV4Auth(creds, "execute-api", "eu-central-1").add_auth(req)
    assert ours["headers"]["authorization"] == req.headers["Authorization"]
    assert "x-amz-content-sha256" not in ours["headers"]


@pytest.mark.parametrize("key", ["test.txt", "dir/with space+plus=eq&amp.bin", "caf\u00e9/\u1234"])
def test_presign_matches_botocore(engine: wphost.Engine, key: str) -> None:
    cfg = {"kind": "s3", "bucket": "examplebucket", "region": "us-east-1", "endpoint": "https://s3.amazonaws.com",
           "access_key_id": "AKIAIOSFODNN7EXAMPLE",
           "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    p = wphost.Provider(engine, cfg)
    ours = p.call("object.presign", {"key": key, "expires_s": 86400, "time": "20130524T000000Z"})["url"]

    session = botocore.session.get_session()
    client = session.create_client("s3", region_name="us-east-1", aws_access_key_id=cfg["access_key_id"],
                                   aws_secret_access_key=cfg["secret_access_key"],
                                   config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    with mock.patch.object(botocore.auth.datetime, "datetime", wraps=datetime.datetime) as dt:
        dt.utcnow.return_value = datetime.datetime(2013, 5, 24)
        theirs = client.generate_presigned_url("get_object", Params={"Bucket": "examplebucket", "Key": key},
                                               ExpiresIn=86400)
    o, t = urlsplit(ours), urlsplit(theirs)
    assert (o.scheme, o.netloc, o.path) == (t.scheme, t.netloc, t.path)
    assert dict(parse_qsl(o.query)) == dict(parse_qsl(t.query))


def test_presigned_url_fetches_the_object(p: wphost.Provider, s3: FakeS3) -> None:
    p.call("object.put", {"key": "shared/report 1.txt", "data": "shared"})
    url = p.call("object.presign", {"key": "shared/report 1.txt", "expires_s": 60})["url"]
    ctx = ssl.create_default_context(cafile=s3.tls.ca)
    with urllib.request.urlopen(url, context=ctx) as r:
        assert r.read() == b"shared"
    tampered = url.replace("report%201", "report%202")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, context=ctx)
    assert e.value.code == 403


# ---- the failures every provider client is tested with ----

XML = {"Content-Type": "application/xml"}


def test_401_is_an_auth_error_with_the_message(p: wphost.Provider, s3: FakeS3) -> None:
    # AWS answers 403; some S3-compatible services answer 401.
    s3.fault(status=401, headers=XML, match=r"^GET /bucket$",
             body="<Error><Code>InvalidAccessKeyId</Code><Message>The key is not valid.</Message></Error>")
    with pytest.raises(wphost.AuthError, match="InvalidAccessKeyId: The key is not valid") as e:
        p.call("object.list", {})
    assert e.value.status == 401


def test_409_is_a_conflict(p: wphost.Provider, s3: FakeS3) -> None:
    s3.fault(status=409, headers=XML, match=r"^PUT /bucket/k$",
             body="<Error><Code>OperationAborted</Code><Message>A conflicting conditional operation is "
                  "currently in progress against this resource.</Message></Error>")
    with pytest.raises(wphost.Conflict, match="OperationAborted") as e:
        p.call("object.put", {"key": "k", "data": "v"})
    assert e.value.status == 409


def test_429_with_retry_after_then_success(p: wphost.Provider, s3: FakeS3) -> None:
    p.call("object.put", {"key": "k", "data": "v"})
    s3.fault(status=429, headers={**XML, "Retry-After": "1"}, match=r"^GET /bucket/k$",
             body="<Error><Code>TooManyRequests</Code><Message>Slow down.</Message></Error>")
    assert p.call("object.get", {"key": "k"})["data"] == "v"
    assert len(s3.seen(r"^GET /bucket/k$")) == 2


def test_500_then_success(p: wphost.Provider, s3: FakeS3) -> None:
    p.call("object.put", {"key": "k", "data": "v"})
    s3.fault(status=500, headers=XML, match=r"^HEAD /bucket/k$", body="")
    assert p.call("object.head", {"key": "k"})["size"] == 1
    assert len(s3.seen(r"^HEAD /bucket/k$")) == 2


@pytest.mark.parametrize("fault", [{"malformed": True}, {"truncate": True}])
def test_malformed_or_truncated_listing_is_a_provider_error(p: wphost.Provider, s3: FakeS3, fault: Dict[str, Any]) -> None:
    for i in range(3):
        p.call("object.put", {"key": f"k{i}", "data": "v"})
    s3.fault(match=r"^GET /bucket$", **fault)
    with pytest.raises(wphost.ProviderError) as e:
        p.call("object.list", {})
    assert e.value.status == 200


def test_a_server_that_never_answers_times_out(engine: wphost.Engine, s3: FakeS3) -> None:
    quick = wphost.Provider(engine, config(s3, timeouts={"response_ms": 500}, retry={"max_attempts": 2, "base_delay_ms": 10}))
    s3.fault(hang=5, count=2, match=r"^GET /bucket$")
    with pytest.raises(wphost.Timeout, match="response"):
        quick.call("object.list", {})
