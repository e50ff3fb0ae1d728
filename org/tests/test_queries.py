"""Query counts: lists, expansions and tree reads do not grow with the number of rows (docs/behaviour.md §5, §6.4).

Every request spends one query on the caller (authentication); the rest is counted per endpoint below.
"""

import pytest

from org.models import MAX_DEPTH, MAX_LEVEL

pytestmark = pytest.mark.django_db

SIZES = [3, 40]


@pytest.fixture
def populated(make_unit, make_position):
    """`populated(size)` → roots with two children each, and two positions per root."""

    def build(size):
        roots = []
        for index in range(size):
            root = make_unit(f"root-{index:03}")
            make_unit(f"child-a-{index:03}", parent=root)
            make_unit(f"child-b-{index:03}", parent=root)
            make_position(root, f"title-a-{index:03}")
            make_position(root, f"title-b-{index:03}")
            roots.append(root)
        return roots

    return build


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "expand, queries",
    [
        ("", 3),
        ("parent", 3),
        ("children", 4),
        ("positions", 4),
        ("parent,children,positions", 5),
    ],
)
def test_unit_list_queries_do_not_grow(client_a, populated, django_assert_max_num_queries, size, expand, queries):
    populated(size)
    with django_assert_max_num_queries(queries):  # caller, count, page (+ one per prefetched expansion)
        response = client_a.get(f"/organization_units?limit=1000&expand={expand}")
    assert response.status_code == 200
    assert len(response.json()["data"]) == size * 3


@pytest.mark.parametrize("size", SIZES)
def test_unit_by_id_with_every_expand(client_a, populated, django_assert_max_num_queries, size):
    roots = populated(size)
    with django_assert_max_num_queries(4):
        body = client_a.get(f"/organization_units/{roots[-1].pk}?expand=parent,children,positions").json()
    assert len(body["children"]) == 2 and len(body["positions"]) == 2


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("expand, queries", [("", 3), ("organization_unit", 3)])
def test_position_list_queries_do_not_grow(client_a, populated, django_assert_max_num_queries, size, expand, queries):
    populated(size)
    with django_assert_max_num_queries(queries):
        response = client_a.get(f"/positions?limit=1000&expand={expand}")
    assert len(response.json()["data"]) == size * 2
    if expand:
        assert all(row["organization_unit"]["name"].startswith("root-") for row in response.json()["data"])


@pytest.fixture
def deep_tree(make_chain, make_unit, make_position):
    """A chain as deep as allowed, with side children and positions along it."""
    chain = make_chain(MAX_DEPTH)
    for unit in chain[:10]:
        make_unit(f"side-{unit.level}", parent=unit)
        make_position(unit, f"title-{unit.level}")
    return chain


@pytest.mark.parametrize(
    "suffix, position, expected",
    [
        ("children", 0, 2),
        ("descendants", 0, MAX_LEVEL + 10),
        ("ancestors", -1, MAX_LEVEL),
        ("positions", 3, 1),
    ],
)
def test_tree_reads_use_a_constant_number_of_queries(
    client_a, deep_tree, django_assert_max_num_queries, suffix, position, expected
):
    unit = deep_tree[position]
    with django_assert_max_num_queries(3):  # caller, the path unit, the answer
        response = client_a.get(f"/organization_units/{unit.pk}/{suffix}")
    assert response.status_code == 200
    assert len(response.json()) == expected


def test_move_of_a_deep_subtree_uses_a_constant_number_of_queries(
    client_a, deep_tree, make_unit, django_assert_max_num_queries
):
    new_root = make_unit("New root")
    with django_assert_max_num_queries(10):  # the 10th: its audit event
        response = client_a.patch(
            f"/organization_units/{deep_tree[1].pk}", {"parent_id": str(new_root.pk)}, format="json"
        )
    assert response.status_code == 200
    deep_tree[-1].refresh_from_db()
    assert deep_tree[-1].level == MAX_LEVEL
    assert deep_tree[-1].path.startswith(f"{new_root.pk}/{deep_tree[1].pk}/")
