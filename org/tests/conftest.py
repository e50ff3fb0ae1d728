"""Fixtures of the org tests: building trees through the services."""

import pytest

from org import services


@pytest.fixture
def make_unit(company_a):
    """`make_unit(name, parent=None, company=company_a, **fields)` → a unit created by the service."""

    def build(name, parent=None, company=None, **fields):
        company = company or company_a
        data = {"name": name, **fields}
        if parent is not None:
            data["parent_id"] = parent.pk
        return services.org_unit_create(company_id=company.pk, data=data)

    return build


@pytest.fixture
def make_chain(make_unit):
    """`make_chain(length, parent=None)` → units, each the child of the previous one."""

    def build(length, parent=None, prefix="level"):
        units = []
        for index in range(length):
            parent = make_unit(f"{prefix}-{index}", parent=parent)
            units.append(parent)
        return units

    return build


@pytest.fixture
def make_position():
    def build(unit, title="Engineer", **fields):
        return services.position_create(
            company_id=unit.company_id, organization_unit_id=unit.pk, data={"title": title, **fields}
        )

    return build


@pytest.fixture
def make_holder(make_user):
    """`make_holder(position, email)` → a user of the position's company holding it (set through the ORM)."""

    def build(position, email):
        user = make_user(position.company, email)
        user.position = position
        user.save(update_fields=["position"])
        return user

    return build
