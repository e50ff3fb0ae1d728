"""The list grammar (docs/behaviour.md §5), exercised on `/companies` through a caller that sees a single company, plus
the collection machinery on a queryset of many companies."""

import uuid

import pytest
from rest_framework.test import APIRequestFactory

from companies.filters import CompanyFilterSet
from companies.models import Company
from identity.pagination import EnvelopePagination
from identity.testing.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_companies(db):
    names = ["Alpha", "beta", "Gamma 100%", "Delta_x", "Epsilon", "Zeta"]
    return [Company.objects.create(name=name, description=f"about {name}") for name in names]


def _page(params: dict, queryset=None):
    request = APIRequestFactory().get("/companies", params)
    from rest_framework.request import Request

    drf_request = Request(request)
    filterset = CompanyFilterSet(drf_request.query_params, queryset=queryset or Company.objects.all())
    assert filterset.is_valid(), filterset.errors
    paginator = EnvelopePagination()
    rows = paginator.paginate_queryset(filterset.qs, drf_request)
    return [row.name for row in rows], paginator.get_paginated_response([r.name for r in rows]).data["pagination"]


@pytest.mark.parametrize(
    "params, limit, page",
    [
        ({}, 50, 1),
        ({"limit": "0"}, 1, 1),
        ({"limit": "-3"}, 1, 1),
        ({"limit": "5000"}, 1000, 1),
        ({"limit": "abc"}, 50, 1),
        ({"page": "0"}, 50, 1),
        ({"page": "x"}, 50, 1),
        ({"page": "-2"}, 50, 1),
    ],
)
def test_page_and_limit_are_clamped(many_companies, params, limit, page):
    _, pagination = _page(params)
    assert (pagination["limit"], pagination["page"]) == (limit, page)


def test_beyond_last_page_is_empty_with_page_echoed(many_companies):
    names, pagination = _page({"limit": "4", "page": "7"})
    assert names == []
    assert pagination == {"page": 7, "limit": 4, "total": 6, "pages": 2, "has_next": False, "has_prev": True}


def test_pages_are_consistent(many_companies):
    first, p1 = _page({"limit": "4", "sort": "name"})
    second, p2 = _page({"limit": "4", "page": "2", "sort": "name"})
    assert p1["has_next"] and not p1["has_prev"] and p2["has_prev"] and not p2["has_next"]
    assert len(first) == 4 and len(second) == 2 and not set(first) & set(second)


def test_sort_and_order(many_companies):
    names, _ = _page({"sort": "name", "order": "DESC"})
    assert names == sorted(names, reverse=True)
    names, _ = _page({"sort": "name"})
    assert names == sorted(names)


def test_unknown_sort_falls_back_to_created_at(many_companies):
    names, _ = _page({"sort": "password"})
    assert names == [c.name for c in sorted(many_companies, key=lambda c: (c.created_at, c.id))]


def test_ties_are_broken_by_id(db):
    same = [Company.objects.create(name=f"Same {i}") for i in range(5)]
    Company.objects.filter(pk__in=[c.pk for c in same]).update(created_at=same[0].created_at)
    names, _ = _page({"sort": "created_at"})
    assert names == [c.name for c in sorted(same, key=lambda c: c.id)]


def test_search_is_case_insensitive_substring(many_companies):
    names, _ = _page({"search": "ALP"})
    assert names == ["Alpha"]
    names, _ = _page({"search": "about beta"})
    assert names == ["beta"]


def test_search_percent_and_underscore_are_literal(many_companies):
    assert _page({"search": "%"})[0] == ["Gamma 100%"]
    assert _page({"search": "_"})[0] == ["Delta_x"]


def test_exact_name_filter_is_case_sensitive(many_companies):
    assert _page({"name": "beta"})[0] == ["beta"]
    assert _page({"name": "Beta"})[0] == []
    assert len(_page({"name": ""})[0]) == 6  # empty value ignored


def test_id_in(many_companies):
    wanted = [str(many_companies[0].pk), str(many_companies[2].pk)]
    names, _ = _page({"id__in": f" {wanted[0]} ,, {wanted[1]} ", "sort": "name"})
    assert names == ["Alpha", "Gamma 100%"]


@pytest.mark.parametrize("value", ["", " , ,"])
def test_id_in_empty_is_an_empty_page(many_companies, value):
    names, pagination = _page({"id__in": value})
    assert names == [] and pagination["total"] == 0


def test_id_in_malformed_is_400(client_a):
    body = assert_error(client_a.get("/companies", {"id__in": f"{uuid.uuid4()},nope"}), 400, "Validation error")
    assert "id__in" in body["errors"]


def test_list_endpoint_applies_the_grammar(client_a, company_a):
    assert client_a.get("/companies", {"search": "ACM"}).json()["pagination"]["total"] == 1
    assert client_a.get("/companies", {"search": "zzz"}).json()["pagination"]["total"] == 0
    assert client_a.get("/companies", {"id__in": ""}).json()["data"] == []
    body = client_a.get("/companies", {"page": "3"}).json()
    assert body["data"] == [] and body["pagination"]["page"] == 3 and body["pagination"]["has_prev"] is True


def test_a_page_that_shows_the_end_needs_no_count_query(client_a, company_a, django_assert_num_queries):
    with django_assert_num_queries(2):  # the caller, the page (one row more than asked tells that nothing follows)
        body = client_a.get("/companies").json()
    assert body["pagination"]["total"] == 1


def test_a_full_page_carries_its_total_in_the_page_query(client_a, make_user, company_a, django_assert_num_queries):
    for index in range(3):
        make_user(company_a, f"user{index}@acme.test")
    with django_assert_num_queries(2):  # the caller, the page (each row carries the total: a subquery)
        body = client_a.get("/users", {"limit": "2"}).json()
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 4, "pages": 2, "has_next": True, "has_prev": False}
    assert len(body["data"]) == 2
    second = client_a.get("/users", {"limit": "2", "page": "2"}).json()
    assert second["pagination"]["total"] == 4 and len(second["data"]) == 2
    past_the_end = client_a.get("/users", {"limit": "2", "page": "5"}).json()
    assert past_the_end["data"] == [] and past_the_end["pagination"]["total"] == 4
