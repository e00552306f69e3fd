"""A fake S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/) for tests:
buckets in memory, path-style and virtual-hosted addressing
(Host: <bucket>.s3.fake.test:PORT), ListObjectsV2 with max-keys pages and
continuation tokens, PUT/GET (Range -> 206 with Content-Range)/HEAD/DELETE,
multipart uploads (CreateMultipartUpload, UploadPart, Complete, Abort,
ListMultipartUploads) and S3's XML error bodies.

Every request's SigV4 signature is checked by recomputing it with botocore's
own signer (botocore.auth.S3SigV4Auth over an AWSRequest rebuilt from what
arrived: the signed headers, the raw path and query, the body, x-amz-date as
sent); a wrong one is 403 SignatureDoesNotMatch, as S3 answers. Presigned
URLs are checked the same way with S3SigV4QueryAuth.

    with FakeS3(tls_files(tmp_path, names=["bucket.s3.fake.test"])) as s3:
        config = {"kind": "s3", "endpoint": s3.url, "bucket": "bucket", ...}
"""
import base64
import calendar
import hashlib
import itertools
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from fakes.fakeserver import FakeServer, Req, Resp, TlsFiles

HOST_SUFFIX = "s3.fake.test"
MIN_PART = 5 * 1024 * 1024
UNSIGNED = "UNSIGNED-PAYLOAD"
AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


def x(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


@dataclass
class Obj:
    data: bytes
    etag: str  # with quotes, as S3 sends it
    content_type: str
    modified: float
    meta: Dict[str, str] = field(default_factory=dict)


@dataclass
class Upload:
    bucket: str
    key: str
    content_type: str
    initiated: float
    parts: Dict[int, Tuple[bytes, str]] = field(default_factory=dict)


class FakeS3:
    def __init__(self, tls: Optional[TlsFiles], buckets: Tuple[str, ...] = ("bucket",), region: str = "us-east-1",
                 access_key: str = "AKIDFAKES3EXAMPLE", secret_key: str = "fake/secret+key=0123456789abcdef",
                 session_token: Optional[str] = None) -> None:
        self.tls = tls
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token
        self.buckets: Dict[str, Dict[str, Obj]] = {b: {} for b in buckets}
        self.uploads: Dict[str, Upload] = {}
        # part number -> (status, S3 error code) answered once instead of storing the part
        self.fail_parts: Dict[int, Tuple[int, str]] = {}
        # CompleteMultipartUpload answers 200 with this <Error> code in the body (once)
        self.complete_error: Optional[str] = None
        self.bad_signatures: List[str] = []  # "METHOD path" of requests refused for their signature
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.server = FakeServer(self.handle, tls)

    # ---- plumbing ----
    def __enter__(self) -> "FakeS3":
        self.server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def requests(self) -> List[Req]:
        return self.server.requests

    def fault(self, **kw: Any) -> None:
        self.server.fault(**kw)

    def seen(self, pattern: str) -> List[Req]:
        return self.server.seen(pattern)

    # ---- answers ----
    def error(self, status: int, code: str, message: str, **extra: str) -> Resp:
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{x(code)}</Code><Message>{x(message)}</Message>'
        for k, v in extra.items():
            body += f"<{k}>{x(v)}</{k}>"
        body += f"<RequestId>{next(self._ids):016X}</RequestId><HostId>fake</HostId></Error>"
        return Resp(status, body, {"Content-Type": "application/xml"})

    @staticmethod
    def xml(body: str, status: int = 200, headers: Optional[Dict[str, str]] = None) -> Resp:
        h = {"Content-Type": "application/xml"}
        h.update(headers or {})
        return Resp(status, '<?xml version="1.0" encoding="UTF-8"?>\n' + body, h)

    # ---- signatures ----
    def _credentials(self) -> Credentials:
        return Credentials(self.access_key, self.secret_key, self.session_token)

    def _scheme(self) -> str:
        return "https" if self.tls else "http"

    def verify(self, req: Req) -> Optional[Resp]:
        """None when the request is signed right, else S3's answer."""
        if "authorization" not in req.headers and "X-Amz-Signature" in req.query:
            return self._verify_presigned(req)
        auth = req.headers.get("authorization")
        if not auth:
            return self.error(403, "AccessDenied", "Access Denied")
        m = AUTH_RE.match(auth)
        if not m:
            return self.error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
        access, date8, region, service, signed, signature = m.groups()
        if access != self.access_key:
            return self.error(403, "InvalidAccessKeyId",
                              "The AWS Access Key Id you provided does not exist in our records.")
        amz_date = req.headers.get("x-amz-date", "")
        if region != self.region or service != "s3" or amz_date[:8] != date8:
            return self.error(400, "AuthorizationHeaderMalformed",
                              f"The authorization header is malformed; the region '{region}' is wrong; "
                              f"expecting '{self.region}'")
        names = signed.split(";")
        for required in ("host", "x-amz-date", "x-amz-content-sha256"):
            if required not in names:
                return self.error(403, "AccessDenied", f"{required} must be signed")
        if self.session_token is not None and req.headers.get("x-amz-security-token") != self.session_token:
            return self.error(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        content_sha = req.headers.get("x-amz-content-sha256", "")
        if content_sha != UNSIGNED and content_sha != hashlib.sha256(req.body).hexdigest():
            return self.error(400, "XAmzContentSHA256Mismatch",
                              "The provided 'x-amz-content-sha256' header does not match what was computed.")
        missing = [n for n in names if n not in req.headers]
        if missing:
            return self.error(403, "SignatureDoesNotMatch", f"signed headers not sent: {missing}")
        url = f"{self._scheme()}://{req.headers['host']}{req.path}" + (f"?{req.raw_query}" if req.raw_query else "")
        aws = AWSRequest(method=req.method, url=url, headers={n: req.headers[n] for n in names}, data=req.body)
        aws.context["timestamp"] = amz_date
        if content_sha == UNSIGNED:
            aws.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        signer = S3SigV4Auth(self._credentials(), "s3", self.region)
        # botocore's add_auth with the request's own time instead of the clock.
        signer._modify_request_before_signing(aws)
        canonical = signer.canonical_request(aws)
        string_to_sign = signer.string_to_sign(aws, canonical)
        expected = signer.signature(string_to_sign, aws)
        expected_names = signer.signed_headers(signer.headers_to_sign(aws))
        if expected != signature or expected_names != signed:
            with self._lock:
                self.bad_signatures.append(f"{req.method} {req.path}")
            return self.error(403, "SignatureDoesNotMatch",
                              "The request signature we calculated does not match the signature you provided. "
                              "Check your key and signing method.",
                              AWSAccessKeyId=access, StringToSign=string_to_sign, CanonicalRequest=canonical)
        return None

    def _verify_presigned(self, req: Req) -> Optional[Resp]:
        q = dict(parse_qsl(req.raw_query, keep_blank_values=True))
        cred = q.get("X-Amz-Credential", "").split("/")
        if len(cred) != 5 or cred[0] != self.access_key:
            return self.error(403, "InvalidAccessKeyId",
                              "The AWS Access Key Id you provided does not exist in our records.")
        amz_date = q.get("X-Amz-Date", "")
        expires = int(q.get("X-Amz-Expires", "0"))
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        if time.time() > signed_at + expires:
            return self.error(403, "AccessDenied", "Request has expired")
        rest = "&".join(p for p in req.raw_query.split("&") if not p.startswith("X-Amz-"))
        url = f"{self._scheme()}://{req.headers['host']}{req.path}" + (f"?{rest}" if rest else "")
        aws = AWSRequest(method=req.method, url=url, headers={"host": req.headers["host"]})
        aws.context["timestamp"] = amz_date
        signer = S3SigV4QueryAuth(self._credentials(), "s3", self.region, expires=expires)
        signer._modify_request_before_signing(aws)
        canonical = signer.canonical_request(aws)
        expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
        if expected != q.get("X-Amz-Signature"):
            with self._lock:
                self.bad_signatures.append(f"{req.method} {req.path} (presigned)")
            return self.error(403, "SignatureDoesNotMatch",
                              "The request signature we calculated does not match the signature you provided.",
                              CanonicalRequest=canonical)
        return None

    # ---- dispatch ----
    def _target(self, req: Req) -> Tuple[str, str]:
        host = req.headers.get("host", "").split(":")[0].lower()
        if host.endswith("." + HOST_SUFFIX):
            return host[: -len(HOST_SUFFIX) - 1], unquote(req.path[1:])
        bucket, _, key = req.path[1:].partition("/")
        return unquote(bucket), unquote(key)

    def handle(self, req: Req) -> Resp:
        refused = self.verify(req)
        if refused:
            return refused
        bucket, key = self._target(req)
        with self._lock:
            if bucket not in self.buckets:
                return self.error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
            if not key:
                if req.method == "GET" and req.query.get("list-type") == ["2"]:
                    return self.list_v2(bucket, req)
                if req.method == "GET" and "uploads" in req.query:
                    return self.list_uploads(bucket)
                return self.error(501, "NotImplemented", "not in this fake")
            if len(key.encode()) > 1024:
                return self.error(400, "KeyTooLongError", "Your key is too long")
            if req.method == "POST" and "uploads" in req.query:
                return self.create_upload(bucket, key, req)
            if "uploadId" in req.query:
                upload_id = req.query["uploadId"][0]
                up = self.uploads.get(upload_id)
                if not up or up.bucket != bucket or up.key != key:
                    return self.error(404, "NoSuchUpload", "The specified upload does not exist.", UploadId=upload_id)
                if req.method == "PUT":
                    return self.upload_part(up, req)
                if req.method == "POST":
                    return self.complete(upload_id, up, req)
                if req.method == "DELETE":
                    del self.uploads[upload_id]
                    return Resp(204)
            objects = self.buckets[bucket]
            if req.method == "PUT":
                meta = {k[11:]: v for k, v in req.headers.items() if k.startswith("x-amz-meta-")}
                obj = Obj(req.body, f'"{hashlib.md5(req.body).hexdigest()}"',
                          req.headers.get("content-type", "binary/octet-stream"), time.time(), meta)
                objects[key] = obj
                return Resp(200, b"", {"ETag": obj.etag})
            if req.method in ("GET", "HEAD"):
                obj = objects.get(key)
                if obj is None:
                    if req.method == "HEAD":
                        return Resp(404, b"", {"Content-Length": "0"})
                    return self.error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
                return self.get(obj, req)
            if req.method == "DELETE":
                objects.pop(key, None)
                return Resp(204)
        return self.error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def get(self, obj: Obj, req: Req) -> Resp:
        headers = {"ETag": obj.etag, "Content-Type": obj.content_type, "Accept-Ranges": "bytes",
                   "Last-Modified": formatdate(obj.modified, usegmt=True)}
        headers.update({f"x-amz-meta-{k}": v for k, v in obj.meta.items()})
        data, status = obj.data, 200
        rng = req.headers.get("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            size = len(obj.data)
            if not m or (not m.group(1) and not m.group(2)):
                return self.error(400, "InvalidArgument", "Invalid range")
            if m.group(1):
                first = int(m.group(1))
                last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                first, last = max(0, size - int(m.group(2))), size - 1
            if first >= size or last < first:
                return self.error(416, "InvalidRange", "The requested range is not satisfiable")
            data, status = obj.data[first:last + 1], 206
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        if req.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return Resp(status, b"", headers)
        return Resp(status, data, headers)

    def list_v2(self, bucket: str, req: Req) -> Resp:
        q = {k: v[0] for k, v in req.query.items()}
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        try:
            max_keys = min(int(q.get("max-keys", "1000")), 1000)
        except ValueError:
            return self.error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
        after = q.get("start-after", "")
        token = q.get("continuation-token")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except Exception:
                return self.error(400, "InvalidArgument", "The continuation token provided is incorrect")
        keys = sorted((k for k in self.buckets[bucket] if k.startswith(prefix)), key=lambda k: k.encode())
        contents: List[str] = []
        prefixes: List[str] = []
        last = ""
        truncated = False
        for k in keys:
            if after and (k.encode() <= after.encode() or (delimiter and after.endswith(delimiter)
                                                              and k.startswith(after))):
                continue
            cp = None
            if delimiter:
                i = k.find(delimiter, len(prefix))
                if i >= 0:
                    cp = k[: i + len(delimiter)]
            if cp is not None and prefixes and prefixes[-1] == cp:
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if cp is not None:
                prefixes.append(cp)
                last = cp
            else:
                contents.append(k)
                last = k
        objs = self.buckets[bucket]
        body = '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        body += f"<Name>{x(bucket)}</Name><Prefix>{x(prefix)}</Prefix><KeyCount>{len(contents) + len(prefixes)}</KeyCount>"
        body += f"<MaxKeys>{max_keys}</MaxKeys>"
        if delimiter:
            body += f"<Delimiter>{x(delimiter)}</Delimiter>"
        body += f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
        if token is not None:
            body += f"<ContinuationToken>{x(token)}</ContinuationToken>"
        if truncated:
            body += f"<NextContinuationToken>{base64.urlsafe_b64encode(last.encode()).decode()}</NextContinuationToken>"
        for k in contents:
            o = objs[k]
            modified = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(o.modified))
            body += (f"<Contents><Key>{x(k)}</Key><LastModified>{modified}</LastModified><ETag>{x(o.etag)}</ETag>"
                     f"<Size>{len(o.data)}</Size><StorageClass>STANDARD</StorageClass></Contents>")
        for p in prefixes:
            body += f"<CommonPrefixes><Prefix>{x(p)}</Prefix></CommonPrefixes>"
        body += "</ListBucketResult>"
        return self.xml(body)

    def list_uploads(self, bucket: str) -> Resp:
        body = f'<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{x(bucket)}</Bucket>'
        for uid, up in self.uploads.items():
            if up.bucket == bucket:
                body += f"<Upload><Key>{x(up.key)}</Key><UploadId>{x(uid)}</UploadId></Upload>"
        body += "<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"
        return self.xml(body)

    def create_upload(self, bucket: str, key: str, req: Req) -> Resp:
        uid = base64.urlsafe_b64encode(f"upload-{next(self._ids)}/{key}".encode()).decode()
        self.uploads[uid] = Upload(bucket, key, req.headers.get("content-type", "binary/octet-stream"), time.time())
        return self.xml(f'<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                        f"<Bucket>{x(bucket)}</Bucket><Key>{x(key)}</Key><UploadId>{x(uid)}</UploadId>"
                        f"</InitiateMultipartUploadResult>")

    def upload_part(self, up: Upload, req: Req) -> Resp:
        try:
            n = int(req.query.get("partNumber", [""])[0])
        except ValueError:
            n = 0
        if not 1 <= n <= 10000:
            return self.error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
        if n in self.fail_parts:
            status, code = self.fail_parts.pop(n)
            return self.error(status, code, "We encountered an internal error. Please try again.")
        etag = f'"{hashlib.md5(req.body).hexdigest()}"'
        up.parts[n] = (req.body, etag)
        return Resp(200, b"", {"ETag": etag})

    def complete(self, upload_id: str, up: Upload, req: Req) -> Resp:
        if self.complete_error:
            code, self.complete_error = self.complete_error, None
            return self.xml(f"<Error><Code>{x(code)}</Code><Message>We encountered an internal error. "
                            f"Please try again.</Message></Error>")
        try:
            root = ET.fromstring(req.body)
        except ET.ParseError:
            return self.error(400, "MalformedXML", "The XML you provided was not well-formed")
        ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
        listed = []
        for part in root.findall("s3:Part", ns) or root.findall("Part"):
            num = part.findtext("s3:PartNumber", namespaces=ns) or part.findtext("PartNumber")
            etag = part.findtext("s3:ETag", namespaces=ns) or part.findtext("ETag")
            listed.append((int(num or 0), etag or ""))
        if not listed:
            return self.error(400, "MalformedXML", "The XML you provided was not well-formed")
        if [n for n, _ in listed] != sorted({n for n, _ in listed}):
            return self.error(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        for i, (n, etag) in enumerate(listed):
            if n not in up.parts or up.parts[n][1] != etag:
                return self.error(400, "InvalidPart", "One or more of the specified parts could not be found.")
            if i < len(listed) - 1 and len(up.parts[n][0]) < MIN_PART:
                return self.error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed")
        data = b"".join(up.parts[n][0] for n, _ in listed)
        digest = hashlib.md5(b"".join(bytes.fromhex(up.parts[n][1].strip('"')) for n, _ in listed)).hexdigest()
        etag = f'"{digest}-{len(listed)}"'
        self.buckets[up.bucket][up.key] = Obj(data, etag, up.content_type, time.time())
        del self.uploads[upload_id]
        return self.xml(f'<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                        f"<Bucket>{x(up.bucket)}</Bucket><Key>{x(up.key)}</Key><ETag>{x(etag)}</ETag>"
                        f"</CompleteMultipartUploadResult>")
