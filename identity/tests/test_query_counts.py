"""Every list answers in at most 4 queries whatever `limit` and `expand`, and every by-id GET in at most 2
(docs/behaviour.md: reads stay flat as the data grows)."""

import pytest

from identity.testing.admin import seed_rows

pytestmark = pytest.mark.django_db

ROWS = 30  # more rows of every resource than one page of `limit=10` holds: a per-row query would show
LISTS = {
    "/users": ["", "position"],
    "/companies": [""],
    "/organization_units": ["", "parent", "children", "positions", "parent,children,positions"],
    "/positions": ["", "organization_unit"],
    "/customers": [""],
    "/subcontractors": [""],
}
BY_ID = {
    "/users/{user}",
    "/companies/{company}",
    "/organization_units/{unit}",
    "/positions/{position}",
    "/customers/{customer}",
    "/subcontractors/{subcontractor}",
}


@pytest.fixture
def populated(directory_a, company_a):
    seed_rows(company_a, ROWS)
    return directory_a


@pytest.mark.parametrize("path, expand", [(path, expand) for path, expands in LISTS.items() for expand in expands])
@pytest.mark.parametrize("limit", ["10", "1000"])
def test_every_list_takes_at_most_4_queries(client_a, populated, django_assert_max_num_queries, path, expand, limit):
    params = {"limit": limit, **({"expand": expand} if expand else {})}
    with django_assert_max_num_queries(4):
        response = client_a.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["data"]) == min(int(limit), body["pagination"]["total"])


@pytest.mark.parametrize("template", sorted(BY_ID))
def test_every_by_id_get_takes_at_most_2_queries(client_a, populated, django_assert_max_num_queries, template):
    with django_assert_max_num_queries(2):  # the caller, the path object
        response = client_a.get(template.format(**populated))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", sorted(LISTS))
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "updated_at", "order": "desc", "limit": "1000"},  # unfiltered: the counter's total
        {"page": "1000"},  # past the end: the total on its own
        {"search": "e", "limit": "1000"},  # filtered: COUNT
        {"search": "e", "page": "1000"},
    ],
)
def test_every_sorted_filtered_or_past_the_end_list_takes_at_most_4_queries(
    client_a, populated, django_assert_max_num_queries, path, params
):
    with django_assert_max_num_queries(4):
        response = client_a.get(path, params)
    assert response.status_code == 200, response.content
