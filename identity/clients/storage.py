"""Client of the Waterfall Storage service: upload, download and delete of avatars and logos."""

from dataclasses import dataclass

from identity.clients.base import ServiceClient, unavailable

SERVICE = "storage"
_client = ServiceClient(SERVICE, url_setting="STORAGE_SERVICE_URL", timeout_setting="STORAGE_REQUEST_TIMEOUT")


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


def place(location) -> tuple[str, str, str]:
    """(bucket_type, bucket_id, logical_path) of a file location (its `kind`, `owner_id` and `company_id`), as the
    Storage integration fixes them (the `.png` suffix is a fixed name: the real type travels as the part's content
    type)."""
    kind, owner = location.kind, location.owner_id
    if kind == "avatar":
        return "users", owner, f"avatars/{owner}.png"
    if kind == "company_logo":
        return "companies", owner, f"logos/{owner}.png"
    if kind == "customer_logo":
        return "companies", location.company_id, f"customers/{owner}/logo.png"
    if kind == "subcontractor_logo":
        return "companies", location.company_id, f"subcontractors/{owner}/logo.png"
    raise ValueError(f"unknown file kind {kind!r}")


def upload(location, image, *, token: str | None) -> str:
    """Stores the image (its `content` and `content_type`) at the location's fixed place; returns Storage's file id.

    Raises ServiceRefused when Storage refuses the caller (401/403) and ServiceUnavailable for anything else that
    is not a success with a file id.
    """
    bucket_type, bucket_id, logical_path = place(location)
    reply = _client.request(
        "POST",
        "/upload/proxy",
        token=token,
        files={"file": (logical_path.rsplit("/", 1)[-1], image.content, image.content_type)},
        data={"bucket_type": bucket_type, "bucket_id": bucket_id, "logical_path": logical_path},
    )
    if reply.status not in (200, 201):
        raise _client.unexpected(reply)
    payload = reply.json_or_none()
    file_id = None
    if isinstance(payload, dict):
        data = payload["data"] if isinstance(payload.get("data"), dict) else {}
        file_id = data.get("file_id") or payload.get("file_id")
    if not file_id:
        raise unavailable(SERVICE, "upload answered without a file id")
    return str(file_id)


def download(location, file_id: str, *, token: str | None) -> Download | None:
    """The stored file, or None when Storage reports it missing.

    Raises ServiceRefused when Storage refuses the download (401/403) and ServiceUnavailable on any other failure.
    """
    bucket_type, bucket_id, logical_path = place(location)
    reply = _client.request(
        "GET",
        "/download/proxy",
        token=token,
        params={"bucket_type": bucket_type, "bucket_id": bucket_id, "logical_path": logical_path},
    )
    if reply.status == 404:
        return None
    if reply.status != 200:
        raise _client.unexpected(reply)
    content_type = reply.headers.get("Content-Type", "").split(";")[0].strip()
    return Download(content=reply.content, content_type=content_type or "application/octet-stream")


def delete(location, file_id: str, *, token: str | None) -> None:
    """Deletes the file physically; a file Storage does not know counts as deleted. Raises ServiceUnavailable or
    ServiceRefused otherwise."""
    reply = _client.request("DELETE", "/delete", token=token, json={"file_id": file_id, "physical": True})
    if reply.status not in (200, 204, 404):
        raise _client.unexpected(reply)
