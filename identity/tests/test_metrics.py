"""`/metrics` (Prometheus): the token rule, what it counts, and one scrape adding up every gunicorn worker."""

import re
import time

import pytest
import requests

from identity.testing.assertions import assert_error
from identity.testing.live import gunicorn

pytestmark = pytest.mark.django_db


def _sample(text: str, name: str, **labels) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit("} ", 1)[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_without_a_token_served_in_testing(anon_client, settings):
    settings.METRICS_TOKEN = ""
    response = anon_client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "process_cpu_seconds_total" in response.content.decode()


def test_without_a_token_elsewhere_it_is_a_404(anon_client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_WITHOUT_TOKEN = False
    assert_error(anon_client.get("/metrics"), 404, "Resource not found")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic bWV0cmljcy10b2tlbg==", "metrics-token"])
def test_with_a_token_a_missing_or_wrong_one_is_a_401(anon_client, settings, authorization):
    settings.METRICS_TOKEN = "metrics-token"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = anon_client.get("/metrics", **headers)
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_with_the_token_it_is_served(anon_client, settings):
    settings.METRICS_TOKEN = "metrics-token"
    settings.METRICS_WITHOUT_TOKEN = False
    response = anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token")
    assert response.status_code == 200


def test_counts_requests_by_route_method_status_and_queries(client_a, anon_client, user_a, guardian):
    before = anon_client.get("/metrics").content.decode()
    assert client_a.get(f"/users/{user_a.pk}").status_code == 200
    assert client_a.get("/users/00000000-0000-0000-0000-000000000000").status_code == 404
    guardian.mode = "deny"
    assert client_a.get(f"/users/{user_a.pk}").status_code == 403
    after = anon_client.get("/metrics").content.decode()
    route = next(r for r in re.findall(r'route="([^"]*)"', after) if r.startswith("/users/{") and r.count("{") == 1)
    for status, count in (("200", 1), ("404", 1), ("403", 1)):
        labels = {"route": route, "method": "GET", "status": status}
        assert (
            _sample(after, "identity_http_requests_total", **labels)
            - _sample(before, "identity_http_requests_total", **labels)
            == count
        )
    assert (
        _sample(after, "identity_http_request_duration_seconds_count", route=route, method="GET")
        - _sample(before, "identity_http_request_duration_seconds_count", route=route, method="GET")
        == 3
    )
    assert _sample(after, "identity_database_queries_total", outcome="ok") > _sample(
        before, "identity_database_queries_total", outcome="ok"
    )
    grants = _sample(after, "identity_outside_calls_total", service="guardian", outcome="2xx") - _sample(
        before, "identity_outside_calls_total", service="guardian", outcome="2xx"
    )
    assert grants >= 3  # every Guardian check, granted or denied, is an answered call
    assert "/users/" + str(user_a.pk) not in after  # routes are templates, never ids


def test_counts_outside_calls_that_fail(client_a, anon_client, user_a, guardian):
    before = anon_client.get("/metrics").content.decode()
    guardian.mode = "fail"
    assert client_a.get(f"/users/{user_a.pk}").status_code == 503
    after = anon_client.get("/metrics").content.decode()
    assert (
        _sample(after, "identity_outside_calls_total", service="guardian", outcome="5xx")
        - _sample(before, "identity_outside_calls_total", service="guardian", outcome="5xx")
        == 1
    )


def test_one_scrape_adds_up_every_gunicorn_worker(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_99999.db").write_bytes(b"left by an earlier run")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/metrics.sqlite3",
        "CACHE_URL": "",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    with gunicorn(env, workers=2, config=True) as (url, _log):

        def scrape() -> str:
            # A new connection each time: either worker may answer.
            return requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10).text

        def warmed(text: str) -> float:
            # Each worker answers one internal `/health` before it takes traffic (config/gunicorn.conf.py).
            return _sample(text, "identity_http_requests_total", route="/health", method="GET", status="200")

        def live(text: str) -> float:
            return _sample(text, "identity_http_requests_total", route="/health/live", method="GET", status="200")

        deadline = time.monotonic() + 30
        while warmed(text := scrape()) < 2:
            assert time.monotonic() < deadline, "no scrape saw the warm-ups of both workers"
            time.sleep(0.2)
        before = live(text)
        for _ in range(20):
            assert requests.get(f"{url}/health/live", headers={"Connection": "close"}, timeout=10).status_code == 200
        # A worker writes its samples at most FLUSH_SECONDS after taking them (identity.metrics._Tally).
        deadline = time.monotonic() + 10
        while live(scrape()) < before + 20:
            assert time.monotonic() < deadline, "no scrape saw the 20 requests of both workers"
            time.sleep(0.2)
        scrapes = [scrape() for _ in range(6)]
        assert not (directory / "counter_99999.db").exists()  # an earlier run's samples are not added up
    assert len(list(directory.glob("counter_*.db"))) == 2
    for text in scrapes:
        assert warmed(text) == 2
        assert live(text) == before + 20


def _exposed(registry) -> dict:
    """Every sample of the registry but the creation times, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if not sample.name.endswith("_created")
    }


def test_the_tally_writes_what_direct_samples_would():
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from identity.metrics import _Tally

    def pair(registry):
        counter = Counter("calls", "", ["outcome"], registry=registry)
        histogram = Histogram("call_seconds", "", buckets=(0.01, 0.1, 1), registry=registry)
        return counter, histogram

    direct, tallied = CollectorRegistry(), CollectorRegistry()
    direct_counter, direct_histogram = pair(direct)
    tallied_counter, tallied_histogram = pair(tallied)
    tally = _Tally(every=None)  # written by flush() alone
    # Values on each bucket's bound, between bounds and past the last one (the +Inf bucket).
    for outcome, seconds in [("ok", 0.01), ("ok", 0.005), ("error", 0.1), ("ok", 0.5), ("ok", 7.0), ("error", 0)]:
        direct_counter.labels(outcome).inc()
        direct_histogram.observe(seconds)
        tally.record(tallied_counter.labels(outcome), tallied_histogram, seconds)
    assert _exposed(tallied)[("calls_total", (("outcome", "ok"),))] == 0  # nothing written before the flush
    tally.flush()
    assert _exposed(tallied) == _exposed(direct)
    assert _exposed(direct)[("call_seconds_bucket", (("le", "0.01"),))] == 3


def test_the_tally_is_written_without_a_scrape():
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from identity.metrics import FLUSH_SECONDS, _Tally

    registry = CollectorRegistry()
    counter = Counter("writes", "", registry=registry)
    histogram = Histogram("write_seconds", "", registry=registry)
    tally = _Tally(every=0.1)
    tally.record(counter, histogram, 0.2)
    deadline = time.monotonic() + FLUSH_SECONDS * 5
    while registry.get_sample_value("writes_total") != 1:
        assert time.monotonic() < deadline, "the tally's thread did not write the count"
        time.sleep(0.05)
    assert registry.get_sample_value("write_seconds_sum") == 0.2
