"""Contract fake of the Storage service (docs/integrations.md §3): in-memory files, bucket rules, failures on demand."""

import threading
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import cast

import jwt
from django.conf import settings

from identity.testing.fakeserver import PROCEED, FakeRequest, FakeServer


@dataclass
class StoredObject:
    file_id: str
    bucket_type: str
    bucket_id: str
    logical_path: str
    filename: str
    content: bytes
    content_type: str


def _error(status: int, code: str, message: str):
    return status, {"error": code, "message": message}, {}


def parse_multipart(request: FakeRequest) -> tuple[dict, dict]:
    """(form fields, files as {name: (filename, bytes, content type)}) of a multipart/form-data body."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    fields, files = {}, {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        # A part that is not itself multipart decodes to bytes (the stubs also allow a Message).
        payload = cast(bytes, part.get_payload(decode=True) or b"")
        if part.get_filename() is not None:
            files[name] = (part.get_filename(), payload, part.get_content_type())
        else:
            fields[name] = payload.decode()
    return fields, files


class StorageFake(FakeServer):
    def __init__(self):
        self.lock = threading.Lock()
        super().__init__()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: list[FakeRequest] = []
            self.objects: dict[str, StoredObject] = {}
            self.mode = "ok"  # ok | fail | hang | drop | invalid_json | trickle | refuse (403 on every call)
            self.hang_seconds = 2.0
            self.trickle_seconds = 1.5

    # --- what tests read --------------------------------------------------------------
    def at(self, bucket_type: str, bucket_id: str, logical_path: str) -> list[StoredObject]:
        """The stored versions at a place, oldest first."""
        with self.lock:
            return [
                item
                for item in self.objects.values()
                if (item.bucket_type, item.bucket_id, item.logical_path) == (bucket_type, bucket_id, logical_path)
            ]

    def paths(self) -> list[str]:
        return [call.path for call in self.calls]

    # --- the wire ---------------------------------------------------------------------
    def handle(self, request: FakeRequest):
        with self.lock:
            self.calls.append(request)
            mode = self.mode
        outcome = self.fault(mode, request, failure=_error(500, "INTERNAL_ERROR", "Storage failure"))
        if outcome is not PROCEED:
            return outcome
        claims = self._claims(request)
        if claims is None:
            return _error(401, "UNAUTHORIZED", "Missing or invalid token")
        if mode == "refuse":
            return _error(403, "FORBIDDEN", "Access denied")
        route = (request.method, request.path)
        if route == ("POST", "/upload/proxy"):
            return self._upload(request, claims)
        if route == ("GET", "/download/proxy"):
            return self._download(request, claims)
        if route == ("DELETE", "/delete"):
            return self._delete(request, claims)
        if route == ("GET", "/list"):
            return self._list(request, claims)
        return _error(404, "NOT_FOUND", "Unknown path")

    @staticmethod
    def _claims(request: FakeRequest) -> dict | None:
        token = request.cookie_token
        if not token:
            return None
        try:
            return jwt.decode(token, settings.JWT_SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None

    @staticmethod
    def _may_use(claims: dict, bucket_type: str, bucket_id: str) -> bool:
        if bucket_type == "users":
            return str(claims.get("sub") or claims.get("user_id") or "") == bucket_id
        if bucket_type == "companies":
            return str(claims.get("company_id") or "") == bucket_id
        return False

    def _upload(self, request: FakeRequest, claims: dict):
        fields, files = parse_multipart(request)
        missing = [name for name in ("bucket_type", "bucket_id", "logical_path") if not fields.get(name)]
        if "file" not in files or missing:
            return _error(400, "VALIDATION_ERROR", "file, bucket_type, bucket_id and logical_path are required")
        if not self._may_use(claims, fields["bucket_type"], fields["bucket_id"]):
            return _error(403, "FORBIDDEN", "Access denied to this bucket")
        filename, content, content_type = files["file"]
        item = StoredObject(
            str(uuid.uuid4()),
            fields["bucket_type"],
            fields["bucket_id"],
            fields["logical_path"],
            filename,
            content,
            content_type,
        )
        with self.lock:
            self.objects[item.file_id] = item
        object_key = f"{item.bucket_type}/{item.bucket_id}/{item.logical_path}"
        return (
            201,
            {
                "success": True,
                "data": {
                    "file_id": item.file_id,
                    "object_key": object_key,
                    "version_id": uuid.uuid4().hex,
                    "size": len(content),
                    "filename": filename,
                },
            },
            {},
        )

    def _download(self, request: FakeRequest, claims: dict):
        place = (
            request.query.get("bucket_type", ""),
            request.query.get("bucket_id", ""),
            request.query.get("logical_path", ""),
        )
        if not self._may_use(claims, place[0], place[1]):
            return _error(403, "FORBIDDEN", "Access denied to this bucket")
        versions = self.at(*place)
        if not versions:
            return _error(404, "FILE_NOT_FOUND", "File not found")
        item = versions[-1]
        return (
            200,
            item.content,
            {"Content-Type": item.content_type, "Content-Disposition": f'inline; filename="{item.filename}"'},
        )

    def _delete(self, request: FakeRequest, claims: dict):
        body = request.json() or {}
        with self.lock:
            item = self.objects.get(str(body.get("file_id")))
        if item is None:
            return _error(404, "FILE_NOT_FOUND", "File not found")
        if not self._may_use(claims, item.bucket_type, item.bucket_id):
            return _error(403, "FORBIDDEN", "Access denied to this bucket")
        with self.lock:
            self.objects.pop(item.file_id, None)
        return 204, b"", {}

    def _list(self, request: FakeRequest, claims: dict):
        bucket_type, bucket_id = request.query.get("bucket", ""), request.query.get("id", "")
        if not self._may_use(claims, bucket_type, bucket_id):
            return _error(403, "FORBIDDEN", "Access denied to this bucket")
        with self.lock:
            items = [
                item for item in self.objects.values() if (item.bucket_type, item.bucket_id) == (bucket_type, bucket_id)
            ]
        files = [
            {"file_id": item.file_id, "logical_path": item.logical_path, "size": len(item.content)} for item in items
        ]
        return 200, {"files": files, "pagination": {"total": len(files), "limit": 1000, "offset": 0}}, {}
