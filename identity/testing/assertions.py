"""One assertion for every error body of the suite: the envelope of docs/behaviour.md §1.4."""


def assert_error(response, status: int, message: str | None = None, *, fields: tuple[str, ...] = ()) -> dict:
    """Asserts status, the `{"message", "errors"?}` envelope, the message and the named field errors."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str) and body["message"], body
    if "errors" in body:
        errors = body["errors"]
        assert isinstance(errors, dict) and errors, body
        for key, texts in errors.items():
            assert isinstance(key, str)
            assert isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts), body
    if message is not None:
        assert body["message"] == message, body
    for field in fields:
        assert field in body.get("errors", {}), body
    assert response.headers.get("X-Request-ID"), "every response carries X-Request-ID"
    return body
