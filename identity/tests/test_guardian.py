"""Guardian check-access behaviour (docs/behaviour.md §3): mapping of answers, timeouts, cache, disabled mode."""

import hashlib
import time

import pytest
from django.core.cache import cache

from identity.clients import guardian as guardian_client
from identity.testing.assertions import assert_error
from identity.testing.fakeserver import within_deadline

pytestmark = pytest.mark.django_db
URL = "/companies"


def test_call_carries_the_callers_cookie_and_body(client_a, guardian, user_a):
    assert client_a.get(URL).status_code == 200
    (call,) = guardian.calls
    assert (call.method, call.path) == ("POST", "/check-access")
    assert call.cookie_token == client_a.raw_token
    assert call.json() == {
        "user_id": str(user_a.pk),
        "service": "identity",
        "resource_name": "company",
        "operation": "LIST",
    }


def test_denial_is_403_with_reason(client_a, guardian):
    guardian.mode = "deny"
    body = assert_error(client_a.get(URL), 403, "Access denied")
    assert body["reason"] == guardian.reason


def test_guardian_4xx_is_403_with_reason_from_body(client_a, guardian):
    guardian.mode = "deny_400"
    body = assert_error(client_a.get(URL), 403, "Access denied")
    assert body["reason"] == guardian.reason


@pytest.mark.parametrize("mode", ["fail", "drop", "invalid_json"])
def test_guardian_failures_are_503(client_a, guardian, mode):
    guardian.mode = mode
    assert_error(client_a.get(URL), 503, "Authorization service unavailable")


def test_guardian_timeout_is_503(client_a, guardian, settings):
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.2
    guardian.mode = "hang"
    guardian.hang_seconds = 1.0
    assert_error(client_a.get(URL), 503, "Authorization service unavailable")


def test_trickling_guardian_is_503_within_the_timeout(client_a, guardian, settings):
    """Each byte comes well within the timeout, the whole answer long after it: the timeout bounds the call."""
    settings.GUARDIAN_SERVICE_TIMEOUT = 0.5
    guardian.trickle(0.2)
    response = within_deadline(lambda: client_a.get(URL), 0.5)
    assert_error(response, 503, "Authorization service unavailable")


def test_unreachable_guardian_is_503(client_a, settings):
    settings.GUARDIAN_SERVICE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    assert_error(client_a.get(URL), 503, "Authorization service unavailable")


def test_authentication_is_checked_before_guardian(anon_client, guardian):
    assert_error(anon_client.get(URL), 401)
    assert guardian.calls == []


def test_disabled_guardian_grants_without_a_call(client_a, guardian, settings):
    settings.USE_GUARDIAN_SERVICE = False
    guardian.mode = "deny"
    assert client_a.get(URL).status_code == 200
    assert guardian.calls == []


def test_disabled_guardian_still_needs_a_token(anon_client, settings):
    settings.USE_GUARDIAN_SERVICE = False
    assert_error(anon_client.get(URL), 401)


def test_decision_cache_reuses_an_answer(client_a, guardian, settings):
    settings.GUARDIAN_CACHE_SECONDS = 30
    assert client_a.get(URL).status_code == 200
    assert client_a.get(URL).status_code == 200
    assert len(guardian.checks()) == 1
    # another operation is a separate decision
    client_a.post(URL, {"name": "Cached Co"}, format="json")
    assert [c["operation"] for c in guardian.checks()] == ["LIST", "CREATE"]


def test_each_answer_decides_for_itself_on_one_kept_alive_connection(client_a, guardian):
    # A grant, a denial (200), a grant, a denial (400), a grant: each decision is its own answer's, never the one
    # an earlier identical answer gave (identity.clients.guardian keeps decisions by the answer's bytes).
    guardian.reason = "Not in this role"
    statuses = []
    for mode in ("grant", "deny", "grant", "deny_400", "grant"):
        guardian.mode = mode
        response = client_a.get(URL)
        statuses.append(response.status_code)
        if response.status_code == 403:
            assert response.json()["reason"] == "Not in this role"
    assert statuses == [200, 403, 200, 403, 200]
    assert len(guardian.calls) == 5


def test_without_cache_every_request_asks(client_a, guardian):
    client_a.get(URL)
    client_a.get(URL)
    assert len(guardian.checks()) == 2


def test_head_uses_the_get_entry(client_a, guardian, company_a):
    assert client_a.head(f"/companies/{company_a.pk}").status_code == 200
    assert guardian.checks()[0]["operation"] == "READ"


def test_options_needs_only_the_token(client_a, anon_client, guardian):
    assert client_a.options(URL).status_code == 200
    assert guardian.calls == []
    assert_error(anon_client.options(URL), 401)


def test_unhandled_method_is_405_without_a_guardian_call(client_a, guardian):
    assert_error(client_a.delete(URL), 405)
    assert guardian.calls == []


# --- the decision cache: shared, with each process's copies in front --------------------------------------------
def _key(client, operation="LIST", resource="company"):
    return f"guardian:{hashlib.sha256(client.raw_token.encode()).hexdigest()}:{resource}:{operation}"


def test_a_decision_another_worker_cached_is_used_without_a_call(client_a, guardian, settings):
    settings.GUARDIAN_CACHE_SECONDS = 30
    cache.set(_key(client_a), (False, "cached by another worker", time.time() + 30), 30)
    body = assert_error(client_a.get(URL), 403, "Access denied")
    assert body["reason"] == "cached by another worker"
    assert guardian.calls == []


def test_a_denial_is_cached_and_a_failure_is_not(client_a, guardian, settings):
    settings.GUARDIAN_CACHE_SECONDS = 30
    guardian.mode = "fail"
    assert_error(client_a.get(URL), 503, "Authorization service unavailable")
    guardian.mode = "deny"
    assert_error(client_a.get(URL), 403, "Access denied")
    guardian.mode = "grant"
    assert_error(client_a.get(URL), 403, "Access denied")  # the cached denial, not Guardian's new answer
    assert len(guardian.checks()) == 2


def test_every_copy_of_a_decision_expires_with_it(client_a, guardian, settings, monkeypatch):
    """The process's copy lives no longer than the shared entry: GUARDIAN_CACHE_SECONDS after Guardian's answer."""
    settings.GUARDIAN_CACHE_SECONDS = 5
    assert client_a.get(URL).status_code == 200
    assert client_a.get(URL).status_code == 200
    assert len(guardian.checks()) == 1
    granted_at = time.time()
    guardian.mode = "deny"
    monkeypatch.setattr(guardian_client.time, "time", lambda: granted_at + 6)
    assert_error(client_a.get(URL), 403, "Access denied")
    assert len(guardian.checks()) == 2


def test_an_entry_of_the_earlier_shape_is_asked_again(client_a, guardian, settings):
    settings.GUARDIAN_CACHE_SECONDS = 30
    cache.set(_key(client_a), (True, "no expiry recorded"), 30)
    guardian.mode = "deny"
    assert_error(client_a.get(URL), 403, "Access denied")
    assert len(guardian.checks()) == 1


# --- reads built while Guardian answers (identity.permissions, CompanyScopedViewSet.reads_with_guardian) ---------
# A read-only route sends the check, builds its answer, then reads Guardian's: whatever the view found, a denial
# is 403 and a failure 503 (docs/behaviour.md §1.6: Guardian comes before the path id and the path object).
def _reads(user_a):
    missing = "00000000-0000-4000-8000-000000000000"
    return {
        "the object": f"/users/{user_a.pk}",
        "a malformed id": "/users/not-a-uuid",
        "a missing object": f"/users/{missing}",
        "a missing unit's children": f"/organization_units/{missing}/children",
        "a list": "/users?limit=5",
        "a filtered list": "/users?first_name=x",
    }


READS = ("the object", "a malformed id", "a missing object", "a missing unit's children", "a list", "a filtered list")


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("mode, status", [("deny", 403), ("fail", 503)])
def test_a_read_is_refused_by_guardian_whatever_the_view_found(client_a, guardian, user_a, read, mode, status):
    guardian.mode = mode
    response = client_a.get(_reads(user_a)[read])
    assert response.status_code == status
    assert "ETag" not in response
    if status == 403:
        assert response.json()["reason"] == guardian.reason
    assert len(guardian.checks()) == 1


def test_a_current_if_none_match_is_403_not_304_when_guardian_denies(client_a, guardian, user_a):
    url = f"/users/{user_a.pk}"
    tag = client_a.get(url)["ETag"]
    assert client_a.get(url, headers={"If-None-Match": tag}).status_code == 304
    guardian.mode = "deny"
    assert_error(client_a.get(url, headers={"If-None-Match": tag}), 403, "Access denied")


def test_a_denied_write_changes_nothing(client_a, guardian, user_a):
    guardian.mode = "deny"
    assert_error(client_a.patch(f"/users/{user_a.pk}", {"first_name": "Denied"}, format="json"), 403)
    user_a.refresh_from_db()
    assert user_a.first_name != "Denied"
