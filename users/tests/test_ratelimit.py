"""Rate limits of the credential endpoints (docs/behaviour.md §7.7) and the client-IP key behind trusted proxies."""

import time

import pytest
from django.test import RequestFactory
from django_ratelimit.core import _get_window
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from identity import ratelimit
from identity.testing.assertions import assert_error
from identity.testing.constants import PASSWORD

pytestmark = pytest.mark.django_db

INTERNAL = "internal-token-for-tests"
HOUR = 3600


@pytest.fixture(autouse=True)
def _enabled(settings):
    settings.RATELIMIT_ENABLE = True
    settings.INTERNAL_AUTH_TOKEN = ""
    settings.RATELIMIT_TRUSTED_PROXIES = []


def fresh_window(value: str, period: int = HOUR, margin: int = 5) -> None:
    """Waits out the end of django-ratelimit's aligned window for `value` so a test never straddles two windows."""
    left = _get_window(value, period) - int(time.time())
    if left < margin:
        time.sleep(left + 1)


def assert_429(response, value: str, period: int = HOUR):
    assert_error(response, 429, "Too many requests")
    retry_after = int(response["Retry-After"])
    expected = _get_window(value, period) - int(time.time())
    assert 1 <= retry_after <= period
    assert abs(retry_after - max(1, expected)) <= 1


def verify(client, email, password=PASSWORD, **extra):
    return client.post("/verify_password", {"email": email, "password": password}, format="json", **extra)


# --- client IP ----------------------------------------------------------------------------------
def ip_of(settings, remote, forwarded=None, trusted=()):
    settings.RATELIMIT_TRUSTED_PROXIES = list(trusted)
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return ratelimit.client_ip(RequestFactory().get("/", **meta))


def test_client_ip_is_remote_addr_without_trusted_proxies(settings):
    assert ip_of(settings, "203.0.113.7") == "203.0.113.7"
    assert ip_of(settings, "203.0.113.7", "198.51.100.1") == "203.0.113.7"  # XFF from anyone is ignored


def test_client_ip_behind_trusted_proxies(settings):
    trusted = ["10.0.0.0/8", "192.168.1.1/32"]
    assert ip_of(settings, "10.1.2.3", "198.51.100.1", trusted) == "198.51.100.1"
    # Left entries are the client's own words: the right-most untrusted hop wins.
    assert ip_of(settings, "10.1.2.3", "1.1.1.1, 198.51.100.1, 192.168.1.1", trusted) == "198.51.100.1"
    assert ip_of(settings, "10.1.2.3", "1.1.1.1,198.51.100.1 ,10.9.9.9", trusted) == "198.51.100.1"
    # An untrusted peer's XFF is not read.
    assert ip_of(settings, "203.0.113.7", "198.51.100.1", trusted) == "203.0.113.7"
    # Everything trusted: the first hop.
    assert ip_of(settings, "10.1.2.3", "10.4.4.4, 10.5.5.5", trusted) == "10.4.4.4"
    assert ip_of(settings, "10.1.2.3", None, trusted) == "10.1.2.3"
    assert ip_of(settings, "10.1.2.3", "", trusted) == "10.1.2.3"


def test_client_ip_reads_comma_separated_setting_and_groups_ipv6(settings):
    assert ip_of(settings, "10.1.2.3", "198.51.100.1", ["10.0.0.0/8, 172.16.0.0/12"]) == "198.51.100.1"
    settings.RATELIMIT_TRUSTED_PROXIES = "10.0.0.0/8,172.16.0.0/12"
    assert (
        ratelimit.client_ip(RequestFactory().get("/", REMOTE_ADDR="172.16.0.9", HTTP_X_FORWARDED_FOR="198.51.100.9"))
        == "198.51.100.9"
    )
    assert ip_of(settings, "2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::"


def test_json_email_key():
    factory = RequestFactory()

    def key(body, content_type="application/json"):
        return ratelimit.json_email(factory.post("/", data=body, content_type=content_type))

    assert key('{"email": "  Alpha@ACME.test "}') == "alpha@acme.test"
    assert key('{"email": 5}') == key("[]") == key("{bad") == key("") == ""
    assert key("email=a@b.c", "application/x-www-form-urlencoded") == ""


# --- /verify_password -----------------------------------------------------------------------------
def test_verify_password_is_limited_per_ip(anon_client, user_a, settings):
    settings.RATELIMIT_VERIFY_PASSWORD = "3/h"
    fresh_window("127.0.0.1")
    assert verify(anon_client, user_a.email).status_code == 200
    assert verify(anon_client, "other@acme.test").status_code == 403
    assert verify(anon_client, user_a.email, "Wrong-pass-1").status_code == 403
    assert_429(verify(anon_client, user_a.email), "127.0.0.1")
    # Another client address has its own bucket.
    assert verify(anon_client, user_a.email, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_verify_password_limit_comes_after_405(anon_client, user_a, settings):
    settings.RATELIMIT_VERIFY_PASSWORD = "1/h"
    fresh_window("127.0.0.1")
    verify(anon_client, user_a.email)
    assert_429(verify(anon_client, user_a.email), "127.0.0.1")
    assert_error(anon_client.get("/verify_password"), 405)


def test_verify_password_with_internal_token_is_limited_per_email(anon_client, user_a, settings, make_user, company_a):
    settings.INTERNAL_AUTH_TOKEN = INTERNAL
    settings.RATELIMIT_VERIFY_PASSWORD = "1/h"
    settings.RATELIMIT_VERIFY_PASSWORD_EMAIL = "2/h"
    other = make_user(company_a, "gamma@acme.test")
    fresh_window(user_a.email)
    fresh_window(other.email)
    token = {"HTTP_X_INTERNAL_TOKEN": INTERNAL}
    # All logins arrive from the Auth service's one address: the per-IP limit (1/h) must not apply.
    assert verify(anon_client, user_a.email, **token).status_code == 200
    assert verify(anon_client, " ALPHA@acme.test", **token).status_code == 200
    assert_429(verify(anon_client, user_a.email, **token), user_a.email)
    assert verify(anon_client, other.email, **token).status_code == 200
    # Without the right token the per-email bucket does not apply: the caller is refused (401) and counted per
    # IP (1/h here), so its next try is a 429.
    assert_error(verify(anon_client, user_a.email), 401, "Invalid internal token")
    assert_429(verify(anon_client, user_a.email, HTTP_X_INTERNAL_TOKEN="bad"), "127.0.0.1")


def test_trusted_proxy_gives_each_client_its_bucket(anon_client, user_a, settings):
    settings.RATELIMIT_VERIFY_PASSWORD = "1/h"
    settings.RATELIMIT_TRUSTED_PROXIES = ["10.0.0.0/8"]
    fresh_window("198.51.100.1")
    fresh_window("198.51.100.2")
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    assert verify(anon_client, user_a.email, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 200
    assert verify(anon_client, user_a.email, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 200
    # A forged left-most entry does not buy a new bucket.
    response = verify(anon_client, user_a.email, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1", **proxy)
    assert_429(response, "198.51.100.1")


def test_rate_limits_can_be_disabled(anon_client, user_a, settings):
    settings.RATELIMIT_VERIFY_PASSWORD = "1/h"
    settings.RATELIMIT_ENABLE = False
    for _ in range(3):
        assert verify(anon_client, user_a.email).status_code == 200


# --- password reset -------------------------------------------------------------------------------
def reset_request(client, email, **extra):
    return client.post("/users/password-reset/request", {"email": email}, format="json", **extra)


def test_reset_request_is_limited_per_ip(anon_client, settings):
    settings.RATELIMIT_RESET_REQUEST_IP = "2/h"
    fresh_window("127.0.0.1")
    assert reset_request(anon_client, "a@acme.test").status_code == 200
    assert reset_request(anon_client, "b@acme.test").status_code == 200
    assert_429(reset_request(anon_client, "c@acme.test"), "127.0.0.1")
    # Bad bodies count against the IP too.
    assert_429(anon_client.post("/users/password-reset/request", "{bad", content_type="application/json"), "127.0.0.1")


def test_reset_request_is_limited_per_email(anon_client, settings):
    settings.RATELIMIT_RESET_REQUEST_EMAIL = "2/h"
    fresh_window("victim@acme.test")
    assert reset_request(anon_client, "victim@acme.test", REMOTE_ADDR="203.0.113.1").status_code == 200
    assert reset_request(anon_client, " VICTIM@acme.test", REMOTE_ADDR="203.0.113.2").status_code == 200
    assert_429(reset_request(anon_client, "victim@ACME.test", REMOTE_ADDR="203.0.113.3"), "victim@acme.test")
    assert reset_request(anon_client, "someone@acme.test", REMOTE_ADDR="203.0.113.4").status_code == 200


def test_reset_confirm_is_limited_per_ip(anon_client, settings):
    settings.RATELIMIT_RESET_CONFIRM = "2/h"
    fresh_window("127.0.0.1")
    body = {"email": "a@acme.test", "otp_code": "123456", "new_password": "Fresh-start-2024"}
    for _ in range(2):
        assert_error(anon_client.post("/users/password-reset/confirm", body, format="json"), 400)
    assert_429(anon_client.post("/users/password-reset/confirm", body, format="json"), "127.0.0.1")


# --- change password ------------------------------------------------------------------------------
def test_change_password_is_limited_per_user(token_client, user_a, user_b, anon_client, settings):
    settings.RATELIMIT_CHANGE_PASSWORD = "2/h"
    fresh_window(str(user_a.pk))
    client = token_client(user_a)
    body = {"current_password": "Wrong-pass-1", "new_password": "Brand-new-pass-77"}
    for _ in range(2):
        assert_error(client.patch("/users/me/change-password", body, format="json"), 400)
    assert_429(client.patch("/users/me/change-password", body, format="json"), str(user_a.pk))
    # 401 comes before 429, and other users keep their own budget.
    assert_error(anon_client.patch("/users/me/change-password", body, format="json"), 401)
    assert_error(token_client(user_b).patch("/users/me/change-password", body, format="json"), 400)


# --- the reusable decorator (for init-db) ---------------------------------------------------------
class _Limited(APIView):
    authentication_classes = []
    permission_classes = []

    @ratelimit.ip_rate_limit("test_decorator", "RATELIMIT_INIT_DB")
    def post(self, request):
        return Response({"ok": True})


def test_ip_rate_limit_decorator(settings):
    settings.RATELIMIT_INIT_DB = "2/h"
    fresh_window("192.0.2.10")
    view = _Limited.as_view()
    factory = APIRequestFactory()

    def call(ip):
        response = view(factory.post("/x", {}, format="json", REMOTE_ADDR=ip))
        response.render()
        return response

    assert call("192.0.2.10").status_code == 200
    assert call("192.0.2.10").status_code == 200
    response = call("192.0.2.10")
    assert response.status_code == 429
    assert response.data == {"message": "Too many requests"}
    assert 1 <= int(response["Retry-After"]) <= HOUR
    assert call("192.0.2.11").status_code == 200


def test_invalid_trusted_proxy_entries_are_ignored(settings, caplog):
    assert ip_of(settings, "10.1.2.3", "198.51.100.1", ["not-a-network", "10.0.0.0/8"]) == "198.51.100.1"
    assert ip_of(settings, "10.1.2.3", "198.51.100.1", ["10.0.0.0/33"]) == "10.1.2.3"


def test_unreachable_cache_is_503(anon_client, user_a, settings):
    from identity.testing.smtp import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    assert_error(verify(anon_client, user_a.email), 503, "Rate limit store unavailable")


def test_verify_password_without_the_internal_token_is_limited_per_ip(anon_client, user_a, settings):
    settings.INTERNAL_AUTH_TOKEN = INTERNAL
    settings.RATELIMIT_VERIFY_PASSWORD = "2/h"
    fresh_window("127.0.0.1")
    for wrong in ({}, {"HTTP_X_INTERNAL_TOKEN": "guess-1"}):
        assert_error(verify(anon_client, user_a.email, **wrong), 401, "Invalid internal token")
    assert_429(verify(anon_client, user_a.email, HTTP_X_INTERNAL_TOKEN="guess-2"), "127.0.0.1")
    # The Auth service, with the right token, is counted per email, not in that IP bucket.
    assert verify(anon_client, user_a.email, HTTP_X_INTERNAL_TOKEN=INTERNAL).status_code == 200
