"""Guardian check-access behaviour (docs/behaviour.md §3): mapping of answers, timeouts, cache, disabled mode."""

import pytest

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
