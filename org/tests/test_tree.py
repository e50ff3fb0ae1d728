"""The unit tree (docs/behaviour.md §6.4): path/level, moves of whole subtrees, cycles, the depth limit, cascading
deletes."""

import threading

import pytest
from django.db import close_old_connections, connection

from identity.exceptions import ValidationFailed
from identity.testing.assertions import assert_error
from identity.testing.constants import UNKNOWN_ID
from org import services
from org.models import MAX_DEPTH, MAX_LEVEL, OrganizationUnit, Position

pytestmark = pytest.mark.django_db


def _fresh(unit):
    return OrganizationUnit.objects.get(pk=unit.pk)


def _expected_path(*units):
    return "/".join(str(unit.pk) for unit in units)


def assert_tree_consistent(company):
    """Every unit's path is its parent's path plus its id, and its level is its depth: no cycles, nothing stale."""
    units = {unit.pk: unit for unit in OrganizationUnit.objects.filter(company=company)}
    for unit in units.values():
        chain, cursor = [], unit
        while cursor is not None:
            assert cursor.pk not in {link.pk for link in chain}, f"cycle through {cursor.pk}"
            chain.insert(0, cursor)
            cursor = units.get(cursor.parent_id) if cursor.parent_id else None
        assert unit.path == _expected_path(*chain), unit
        assert unit.level == len(chain) - 1, unit


def test_create_root_has_own_id_as_path(client_a):
    body = client_a.post("/organization_units", {"name": "Head office"}, format="json").json()
    assert body["path"] == body["id"]
    assert body["level"] == 0 and body["parent_id"] is None


def test_create_with_parent_extends_path_and_level(client_a, make_unit):
    root = make_unit("Root")
    child = client_a.post("/organization_units", {"name": "Child", "parent_id": str(root.pk)}, format="json").json()
    grandchild = client_a.post(
        "/organization_units", {"name": "Grandchild", "parent_id": child["id"]}, format="json"
    ).json()
    assert child["path"] == f"{root.pk}/{child['id']}" and child["level"] == 1
    assert grandchild["path"] == f"{root.pk}/{child['id']}/{grandchild['id']}" and grandchild["level"] == 2
    assert grandchild["parent_id"] == child["id"]


def test_create_with_parent_of_another_company_is_400(client_a, company_b, make_unit):
    foreign = make_unit("Foreign", company=company_b)
    response = client_a.post("/organization_units", {"name": "x", "parent_id": str(foreign.pk)}, format="json")
    assert_error(response, 400, "Validation error", fields=("parent_id",))
    assert not OrganizationUnit.objects.filter(name="x").exists()


def test_create_with_unknown_or_malformed_parent_is_400(client_a):
    unknown = client_a.post("/organization_units", {"name": "x", "parent_id": UNKNOWN_ID}, format="json")
    assert_error(unknown, 400, fields=("parent_id",))
    malformed = client_a.post("/organization_units", {"name": "x", "parent_id": "nope"}, format="json")
    assert_error(malformed, 400, fields=("parent_id",))


def test_move_subtree_three_levels_deep_rewrites_every_descendant(client_a, company_a, make_unit, make_chain):
    """Move B (with C, D, E below it, plus a sibling branch) from under A to under X/Y."""
    a = make_unit("A")
    b, c, d, e = make_chain(4, parent=a, prefix="b")
    c2 = make_unit("C2", parent=b)
    x = make_unit("X")
    y = make_unit("Y", parent=x)
    untouched = make_unit("A-other", parent=a)

    response = client_a.patch(f"/organization_units/{b.pk}", {"parent_id": str(y.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["path"] == _expected_path(x, y, b)
    assert response.json()["level"] == 2

    assert (_fresh(b).path, _fresh(b).level, _fresh(b).parent_id) == (_expected_path(x, y, b), 2, y.pk)
    assert (_fresh(c).path, _fresh(c).level) == (_expected_path(x, y, b, c), 3)
    assert (_fresh(d).path, _fresh(d).level) == (_expected_path(x, y, b, c, d), 4)
    assert (_fresh(e).path, _fresh(e).level) == (_expected_path(x, y, b, c, d, e), 5)
    assert (_fresh(c2).path, _fresh(c2).level) == (_expected_path(x, y, b, c2), 3)
    assert (_fresh(untouched).path, _fresh(untouched).level) == (_expected_path(a, untouched), 1)
    assert_tree_consistent(company_a)


def test_move_to_a_shallower_place_lowers_levels(client_a, company_a, make_unit, make_chain):
    top = make_unit("Top")
    chain = make_chain(5, parent=top)
    response = client_a.put(
        f"/organization_units/{chain[3].pk}", {"name": "Moved", "parent_id": str(top.pk)}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Moved"
    assert (_fresh(chain[3]).level, _fresh(chain[4]).level) == (1, 2)
    assert _fresh(chain[4]).path == _expected_path(top, chain[3], chain[4])
    assert_tree_consistent(company_a)


def test_move_to_null_makes_a_root(client_a, company_a, make_chain):
    root, middle, leaf, deepest = make_chain(4)
    response = client_a.patch(f"/organization_units/{middle.pk}", {"parent_id": None}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["parent_id"], body["path"], body["level"]) == (None, str(middle.pk), 0)
    assert (_fresh(leaf).path, _fresh(leaf).level) == (_expected_path(middle, leaf), 1)
    assert (_fresh(deepest).path, _fresh(deepest).level) == (_expected_path(middle, leaf, deepest), 2)
    assert (_fresh(root).path, _fresh(root).level) == (str(root.pk), 0)
    assert_tree_consistent(company_a)


def test_move_bumps_updated_at_of_the_subtree(client_a, make_chain, make_unit):
    root, middle, leaf = make_chain(3)
    other = make_unit("Other")
    before = _fresh(leaf).updated_at
    client_a.patch(f"/organization_units/{middle.pk}", {"parent_id": str(other.pk)}, format="json")
    assert _fresh(leaf).updated_at > before


def test_put_with_unchanged_parent_keeps_the_tree(client_a, company_a, make_chain):
    root, middle, leaf = make_chain(3)
    response = client_a.put(
        f"/organization_units/{middle.pk}", {"name": "Same place", "parent_id": str(root.pk)}, format="json"
    )
    assert response.status_code == 200
    assert _fresh(leaf).path == _expected_path(root, middle, leaf)
    assert_tree_consistent(company_a)


def test_self_parent_is_rejected(client_a, make_unit):
    unit = make_unit("Self")
    body = assert_error(
        client_a.patch(f"/organization_units/{unit.pk}", {"parent_id": str(unit.pk)}, format="json"),
        400,
        "Validation error",
        fields=("parent_id",),
    )
    assert body["errors"]["parent_id"] == ["An organization unit cannot be its own parent."]
    assert _fresh(unit).parent_id is None


@pytest.mark.parametrize("depth_below", [1, 3])
def test_move_under_own_descendant_is_rejected(client_a, company_a, make_chain, depth_below):
    chain = make_chain(4)
    response = client_a.put(
        f"/organization_units/{chain[0].pk}", {"name": "Root", "parent_id": str(chain[depth_below].pk)}, format="json"
    )
    body = assert_error(response, 400, "Validation error", fields=("parent_id",))
    assert body["errors"]["parent_id"] == ["Cannot move a unit under its own descendant."]
    assert _fresh(chain[0]).name == "level-0"  # nothing of the request was applied
    assert_tree_consistent(company_a)


def test_move_under_parent_of_another_company_is_400(client_a, company_b, make_unit):
    unit = make_unit("Mine")
    foreign = make_unit("Theirs", company=company_b)
    assert_error(
        client_a.patch(f"/organization_units/{unit.pk}", {"parent_id": str(foreign.pk)}, format="json"),
        400,
        fields=("parent_id",),
    )
    assert _fresh(unit).parent_id is None


def test_depth_limit_on_create(client_a, make_chain):
    chain = make_chain(MAX_DEPTH)  # levels 0..MAX_LEVEL: 50 levels
    assert chain[-1].level == MAX_LEVEL
    response = client_a.post("/organization_units", {"name": "too deep", "parent_id": str(chain[-1].pk)}, format="json")
    body = assert_error(response, 400, "Validation error", fields=("parent_id",))
    assert body["errors"]["parent_id"] == [f"Maximum depth is {MAX_DEPTH}."]
    ok = client_a.post("/organization_units", {"name": "deep enough", "parent_id": str(chain[-2].pk)}, format="json")
    assert ok.status_code == 201 and ok.json()["level"] == MAX_LEVEL


def test_depth_limit_counts_the_deepest_descendant_of_a_moved_subtree(client_a, company_a, make_chain, make_unit):
    trunk = make_chain(MAX_DEPTH - 3, prefix="trunk")  # deepest level MAX_LEVEL - 3
    branch = make_chain(4, prefix="branch")  # levels 0..3: moving it under trunk[-1] would reach MAX_LEVEL + 1
    response = client_a.patch(f"/organization_units/{branch[0].pk}", {"parent_id": str(trunk[-1].pk)}, format="json")
    body = assert_error(response, 400, fields=("parent_id",))
    assert body["errors"]["parent_id"] == [f"Maximum depth is {MAX_DEPTH}."]
    assert _fresh(branch[0]).parent_id is None
    fits = client_a.patch(f"/organization_units/{branch[0].pk}", {"parent_id": str(trunk[-2].pk)}, format="json")
    assert fits.status_code == 200
    assert _fresh(branch[-1]).level == MAX_LEVEL
    assert_tree_consistent(company_a)


def test_children_are_direct_only_and_ordered_by_name(client_a, make_unit):
    root = make_unit("Root")
    make_unit("beta", parent=root)
    alpha = make_unit("Alpha", parent=root)
    make_unit("Grandchild", parent=alpha)
    make_unit("Elsewhere")
    response = client_a.get(f"/organization_units/{root.pk}/children")
    assert response.status_code == 200
    names = [row["name"] for row in response.json()]
    assert names == sorted(["beta", "Alpha"])
    assert set(response.json()[0]) == {
        "id",
        "name",
        "description",
        "parent_id",
        "path",
        "level",
        "company_id",
        "created_at",
        "updated_at",
    }


def test_descendants_are_the_whole_subtree_by_path(client_a, make_unit, make_chain):
    root = make_unit("Root")
    chain = make_chain(3, parent=root)
    side = make_unit("Side", parent=root)
    make_unit("Other root")
    body = client_a.get(f"/organization_units/{root.pk}/descendants").json()
    assert [row["id"] for row in body] == [
        row.path.rsplit("/", 1)[1] for row in sorted([*chain, side], key=lambda unit: unit.path)
    ]
    assert str(root.pk) not in {row["id"] for row in body}
    assert client_a.get(f"/organization_units/{chain[-1].pk}/descendants").json() == []


def test_ancestors_are_root_first_without_the_unit(client_a, make_chain):
    chain = make_chain(5)
    body = client_a.get(f"/organization_units/{chain[-1].pk}/ancestors").json()
    assert [row["id"] for row in body] == [str(unit.pk) for unit in chain[:-1]]
    assert client_a.get(f"/organization_units/{chain[0].pk}/ancestors").json() == []


def test_tree_reads_of_a_foreign_or_unknown_unit_are_404(client_a, company_b, make_unit):
    foreign = make_unit("Theirs", company=company_b)
    for suffix in ("children", "descendants", "ancestors", "positions"):
        assert_error(client_a.get(f"/organization_units/{foreign.pk}/{suffix}"), 404, "Organization unit not found")
        assert_error(client_a.get(f"/organization_units/not-a-uuid/{suffix}"), 400, "Invalid unit id")


def test_delete_removes_subtree_and_positions_and_keeps_holders(
    client_a, company_a, make_holder, make_unit, make_chain, make_position
):
    root = make_unit("Root")
    middle, leaf = make_chain(2, parent=root)
    sibling_root = make_unit("Kept")
    held = make_position(leaf, "Held")
    make_position(middle, "Also deleted")
    kept_position = make_position(sibling_root, "Kept position")
    holder = make_holder(held, "holder@acme.test")
    other_holder = make_holder(kept_position, "other@acme.test")

    response = client_a.delete(f"/organization_units/{root.pk}")
    assert response.status_code == 204 and response.content == b""
    connection.check_constraints()  # the set-based deletes left no dangling reference

    assert list(OrganizationUnit.objects.filter(company=company_a)) == [sibling_root]
    assert list(Position.objects.filter(company=company_a)) == [kept_position]
    holder.refresh_from_db()
    assert holder.position_id is None and holder.is_active
    other_holder.refresh_from_db()
    assert other_holder.position_id == kept_position.pk
    assert_error(client_a.get(f"/organization_units/{leaf.pk}"), 404, "Organization unit not found")


def test_delete_of_a_middle_unit_keeps_its_ancestors(client_a, company_a, make_chain):
    chain = make_chain(4)
    assert client_a.delete(f"/organization_units/{chain[2].pk}").status_code == 204
    assert list(OrganizationUnit.objects.order_by("level")) == chain[:2]
    assert_tree_consistent(company_a)


def test_delete_does_not_touch_another_company(client_a, company_b, make_unit):
    theirs = make_unit("Theirs", company=company_b)
    assert_error(client_a.delete(f"/organization_units/{theirs.pk}"), 404)
    assert OrganizationUnit.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("size", [2, 40])
def test_delete_uses_a_constant_number_of_queries(
    client_a, company_a, make_holder, make_unit, make_position, django_assert_max_num_queries, size
):
    root = make_unit("Root")
    for index in range(size):
        make_holder(make_position(make_unit(f"unit-{index}", parent=root), f"title-{index}"), f"h{index}@acme.test")
    with django_assert_max_num_queries(10):
        assert client_a.delete(f"/organization_units/{root.pk}").status_code == 204
    assert not Position.objects.filter(company=company_a).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_opposite_moves_cannot_form_a_cycle(company_a, attempt):
    """A under B and B under A at the same moment: the company lock serialises them, so one is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    a = services.org_unit_create(company_id=company_a.pk, data={"name": "A"})
    b = services.org_unit_create(company_id=company_a.pk, data={"name": "B"})
    child_of_a = services.org_unit_create(company_id=company_a.pk, data={"name": "A1", "parent_id": a.pk})
    barrier = threading.Barrier(2)
    outcomes = {}

    def move(name, unit, parent):
        try:
            stale = OrganizationUnit.objects.get(pk=unit.pk)  # read before the other thread's move commits
            barrier.wait(timeout=10)
            services.org_unit_update(unit=stale, data={"parent_id": parent.pk})
            outcomes[name] = "moved"
        except ValidationFailed as error:
            outcomes[name] = error.errors["parent_id"]
        except Exception as error:  # surfaced by the assertion below
            outcomes[name] = repr(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=move, args=("a", a, b)), threading.Thread(target=move, args=("b", b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values(), key=str) == sorted(
        ["moved", ["Cannot move a unit under its own descendant."]], key=str
    ), outcomes
    assert_tree_consistent(company_a)
    moved_child = OrganizationUnit.objects.get(pk=child_of_a.pk)
    assert moved_child.path.endswith(f"{a.pk}/{child_of_a.pk}")


@pytest.mark.postgres
def test_prepared_sub_collections_are_the_representation(client_a, make_unit, make_position):
    """`children` and a unit's `positions` read as text (identity.textrows) give the serializer's bytes: nulls, a
    datetime without fraction, ids, the order by name or title then id."""
    import datetime as dt

    from identity.renderers import JSONRenderer
    from org import selectors
    from org.api.serializers import OrganizationUnitSerializer, PositionSerializer

    root = make_unit("Root")
    for name in ("beta", "Alpha", "alpha", "Beta"):
        make_position(make_unit(name, parent=root, description=None), title=name.upper())
    make_position(root, title="b")
    make_position(root, title="B", description="Lead")
    OrganizationUnit.objects.filter(name="beta").update(created_at=dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC))
    cases = (
        ("children", OrganizationUnitSerializer, selectors.org_unit_children(unit=root)),
        ("positions", PositionSerializer, selectors.org_unit_positions(unit=root)),
    )
    for suffix, serializer, queryset in cases:
        response = client_a.get(f"/organization_units/{root.pk}/{suffix}")
        assert response.status_code == 200
        assert len(response.json()) in (4, 2)
        assert response.content == JSONRenderer().render(serializer(queryset, many=True).data), suffix
