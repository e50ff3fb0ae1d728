"""Client of the Waterfall Storage service (integrations.md §3): upload, download and delete of avatars and logos."""

import logging

import requests
from django.conf import settings

from identity.clients.http import session_for
from identity.exceptions import Forbidden, Unavailable

logger = logging.getLogger(__name__)

UNAVAILABLE = "Storage service unavailable"
REFUSED = "Access denied by the storage service"


def place(location) -> tuple[str, str, str]:
    """(bucket_type, bucket_id, logical_path) of an identity.files.Location, as the integrations table fixes them
    (the `.png` suffix is a fixed name: the real type travels as the part's content type)."""
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


def _headers(token: str | None) -> dict:
    return {"Cookie": f"access_token={token}"} if token else {}


def _call(method: str, path: str, *, token: str | None, **kwargs) -> requests.Response:
    try:
        return session_for("storage").request(
            method, f"{settings.STORAGE_SERVICE_URL}{path}", headers=_headers(token),
            timeout=settings.STORAGE_REQUEST_TIMEOUT, **kwargs,
        )
    except requests.RequestException as exc:
        logger.warning("Storage %s %s failed: %s", method, path, type(exc).__name__)
        raise Unavailable(UNAVAILABLE) from None


def upload(location, image, *, token: str | None) -> str:
    """Stores the image at the location's fixed place; returns Storage's file id.

    Raises Forbidden when Storage refuses the caller (401/403) and Unavailable for anything else that is not a
    success with a file id.
    """
    bucket_type, bucket_id, logical_path = place(location)
    response = _call(
        "POST", "/upload/proxy", token=token,
        files={"file": (logical_path.rsplit("/", 1)[-1], image.content, image.content_type)},
        data={"bucket_type": bucket_type, "bucket_id": bucket_id, "logical_path": logical_path},
    )
    if response.status_code in (401, 403):
        raise Forbidden(REFUSED)
    if response.status_code not in (200, 201):
        logger.warning("Storage upload answered %s", response.status_code)
        raise Unavailable(UNAVAILABLE)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    file_id = None
    if isinstance(payload, dict):
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        file_id = data.get("file_id") or payload.get("file_id")
    if not file_id:
        logger.warning("Storage upload answered without a file id")
        raise Unavailable(UNAVAILABLE)
    return str(file_id)


def download(location, file_id: str, *, token: str | None):
    """The stored file (identity.files.StoredFile), or None when Storage reports it missing.

    Raises Forbidden when Storage refuses the download (401/403) and Unavailable on any other failure.
    """
    from identity.files import StoredFile  # identity.files imports this module lazily; keep the cycle one-way

    bucket_type, bucket_id, logical_path = place(location)
    response = _call("GET", "/download/proxy", token=token,
                     params={"bucket_type": bucket_type, "bucket_id": bucket_id, "logical_path": logical_path})
    if response.status_code == 404:
        return None
    if response.status_code in (401, 403):
        raise Forbidden(REFUSED)
    if response.status_code != 200:
        logger.warning("Storage download answered %s", response.status_code)
        raise Unavailable(UNAVAILABLE)
    content_type = response.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    return StoredFile(content=response.content, content_type=content_type or "application/octet-stream")


def delete(location, file_id: str, *, token: str | None) -> None:
    """Deletes the file physically; a file Storage does not know counts as deleted. Raises Unavailable otherwise."""
    response = _call("DELETE", "/delete", token=token, json={"file_id": file_id, "physical": True})
    if response.status_code not in (200, 204, 404):
        logger.warning("Storage delete answered %s", response.status_code)
        raise Unavailable(UNAVAILABLE)
