"""Writes of organization units (the tree: create, move, delete under a per-company lock) and positions, each with
its audit event (identity.services)."""

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from companies.services import company_tree_locked
from identity import audit
from identity.exceptions import NotFound, ValidationFailed, missing_reference
from identity.services import delete_row, delete_set, insert_row, save_changes
from org import selectors
from org.models import MAX_DEPTH, MAX_LEVEL, OrganizationUnit, Position
from org.selectors import PATH_SEPARATOR

UNIT_FIELDS = ("name", "description")
POSITION_FIELDS = ("title", "description", "level")

UNIT_NOT_FOUND = "Organization unit not found"
OWN_PARENT = "An organization unit cannot be its own parent."
UNDER_DESCENDANT = "Cannot move a unit under its own descendant."
TOO_DEEP = f"Maximum depth is {MAX_DEPTH}."


def _unit_path(parent: OrganizationUnit | None, pk) -> str:
    return f"{parent.path}{PATH_SEPARATOR}{pk}" if parent is not None else str(pk)


def _company_unit(*, company_id, pk, missing: Exception) -> OrganizationUnit:
    """A unit of the company named in a body, read after the lock; raises `missing` when unknown or foreign."""
    unit = selectors.org_unit_get(company_id=company_id, pk=pk)
    if unit is None:
        raise missing
    return unit


def _parent_for(*, company_id, parent_id) -> OrganizationUnit:
    return _company_unit(
        company_id=company_id, pk=parent_id, missing=ValidationFailed.field("parent_id", missing_reference(parent_id))
    )


def org_unit_create(*, company_id, data: dict) -> OrganizationUnit:
    """Creates a unit (a root, or under `parent_id`); raises ValidationFailed on an unknown parent or too deep."""
    unit = OrganizationUnit(company_id=company_id, **{key: data[key] for key in UNIT_FIELDS if key in data})
    parent_id = data.get("parent_id")
    with company_tree_locked(company_id=company_id, needed=parent_id is not None):
        parent = None
        if parent_id is not None:
            parent = _parent_for(company_id=company_id, parent_id=parent_id)
            if parent.level + 1 > MAX_LEVEL:
                raise ValidationFailed.field("parent_id", TOO_DEEP)
        unit.parent = parent
        unit.path = _unit_path(parent, unit.pk)
        unit.level = parent.level + 1 if parent is not None else 0
        insert_row(unit)
    return unit


def org_unit_update(*, unit: OrganizationUnit, data: dict) -> OrganizationUnit:
    """Changes name/description and, with `parent_id`, moves the unit with its whole subtree.

    Raises ValidationFailed (errors.parent_id) for an unknown parent, itself, one of its descendants or a
    move that would put a unit of the subtree below MAX_LEVEL; NotFound when the unit vanished meanwhile. A move
    records one `organization_unit.update` (`parent_id`) for this unit, none for its descendants.
    """
    with company_tree_locked(company_id=unit.company_id, needed="parent_id" in data):
        changed = []
        if "parent_id" in data:
            # Re-read after the lock: a concurrent move may have changed this unit's path.
            current = selectors.org_unit_get(company_id=unit.company_id, pk=unit.pk)
            if current is None:
                raise NotFound(UNIT_NOT_FOUND)
            unit = current
        before = audit.snapshot(unit)
        if "parent_id" in data and data["parent_id"] != unit.parent_id:
            _move(unit, data["parent_id"])
            changed += ["parent", "path", "level"]
        save_changes(unit, data, UNIT_FIELDS, also=tuple(changed), before=before)
    return unit


def _move(unit: OrganizationUnit, parent_id) -> None:
    """Re-parents `unit` in memory and rewrites its descendants' path/level with one UPDATE (caller holds the lock)."""
    if parent_id == unit.pk:
        raise ValidationFailed.field("parent_id", OWN_PARENT)
    parent = None
    if parent_id is not None:
        parent = _parent_for(company_id=unit.company_id, parent_id=parent_id)
        if parent.path.startswith(unit.path + PATH_SEPARATOR):
            raise ValidationFailed.field("parent_id", UNDER_DESCENDANT)
    new_level = parent.level + 1 if parent is not None else 0
    shift = new_level - unit.level
    if shift > 0 and selectors.org_unit_subtree_depth(unit=unit) + shift > MAX_LEVEL:
        raise ValidationFailed.field("parent_id", TOO_DEEP)
    old_path, new_path = unit.path, _unit_path(parent, unit.pk)
    # Every descendant's path starts with "<old_path>/": swap that prefix, shift the level, in a single statement.
    selectors.org_unit_descendants(unit=unit).order_by().update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=models.TextField()),
        level=F("level") + shift,
        updated_at=timezone.now(),
    )
    unit.parent = parent
    unit.path = new_path
    unit.level = new_level


def org_unit_delete(*, unit: OrganizationUnit) -> None:
    """Deletes the unit, its descendants and their positions; holders of those positions keep their account.

    A constant number of statements whatever the subtree's size. Raises NotFound when the unit vanished meanwhile.
    """
    with company_tree_locked(company_id=unit.company_id):
        current = selectors.org_unit_get(company_id=unit.company_id, pk=unit.pk)
        if current is None:
            raise NotFound(UNIT_NOT_FOUND)
        unit = current
        audit.record_delete(unit)  # one event for the unit named, none for its descendants
        subtree = selectors.org_unit_subtree(unit=unit)
        # Positions first (their holders keep their account, with no position), then the units.
        delete_set(Position.objects.filter(organization_unit__in=subtree))
        delete_set(subtree)


def position_create(*, company_id, organization_unit_id, data: dict) -> Position:
    """Creates a position in a unit of the company; raises NotFound("Organization unit not found") otherwise."""
    # The same lock as unit deletes, so a position cannot land in a unit being deleted.
    with company_tree_locked(company_id=company_id):
        unit = _company_unit(company_id=company_id, pk=organization_unit_id, missing=NotFound(UNIT_NOT_FOUND))
        return insert_row(
            Position(
                company_id=company_id,
                organization_unit=unit,
                **{key: data[key] for key in POSITION_FIELDS if key in data},
            )
        )


def position_update(*, position: Position, data: dict) -> Position:
    """Changes the named fields; raises ValidationFailed (errors.organization_unit_id) for a unit not of the company."""
    unit_id = data.get("organization_unit_id", position.organization_unit_id)
    moved = unit_id != position.organization_unit_id
    with company_tree_locked(company_id=position.company_id, needed=moved):
        before, changed = audit.snapshot(position), []
        if moved:
            position.organization_unit = _company_unit(
                company_id=position.company_id,
                pk=unit_id,
                missing=ValidationFailed.field("organization_unit_id", missing_reference(unit_id)),
            )
            changed.append("organization_unit")
        save_changes(position, data, POSITION_FIELDS, also=tuple(changed), before=before)
    return position


def position_delete(*, position: Position) -> None:
    """Deletes the position; users who held it keep their account with no position (the collector applies their
    SET_NULL as one UPDATE without loading them)."""
    delete_row(position)
