"""Reads of organization units (tree queries on the materialised path) and positions."""

from django.db.models import Max, Prefetch, Q, QuerySet

from org.models import OrganizationUnit, Position

PATH_SEPARATOR = "/"


def org_unit_list(*, company_id) -> QuerySet:
    return OrganizationUnit.objects.for_company(company_id)


def org_unit_get(*, company_id, pk) -> OrganizationUnit | None:
    """The unit of that company, or None (unknown and foreign ids look the same)."""
    return org_unit_list(company_id=company_id).filter(pk=pk).first()


CHILDREN_ORDER = ("name", "id")
UNIT_POSITIONS_ORDER = ("title", "id")


def org_unit_children(*, unit: OrganizationUnit) -> QuerySet:
    """Direct children, by name then id."""
    return org_unit_list(company_id=unit.company_id).filter(parent_id=unit.pk).order_by(*CHILDREN_ORDER)


def org_unit_descendants(*, unit: OrganizationUnit) -> QuerySet:
    """The whole subtree below the unit (not the unit itself), parents before children: one indexed prefix scan."""
    return (
        org_unit_list(company_id=unit.company_id).filter(path__startswith=unit.path + PATH_SEPARATOR).order_by("path")
    )


def org_unit_subtree(*, unit: OrganizationUnit) -> QuerySet:
    """The unit and all its descendants (unordered; for bulk writes)."""
    return org_unit_list(company_id=unit.company_id).filter(
        Q(pk=unit.pk) | Q(path__startswith=unit.path + PATH_SEPARATOR)
    )


def org_unit_ancestors(*, unit: OrganizationUnit) -> QuerySet:
    """The units above this one, root first; their ids are the path minus its last segment, so one query."""
    ids = unit.path.split(PATH_SEPARATOR)[:-1]
    return org_unit_list(company_id=unit.company_id).filter(pk__in=ids).order_by("level")


def org_unit_subtree_depth(*, unit: OrganizationUnit) -> int:
    """The level of the deepest unit of the subtree (the unit's own level when it has no descendants)."""
    deepest = org_unit_descendants(unit=unit).order_by().aggregate(deepest=Max("level"))["deepest"]
    return unit.level if deepest is None else deepest


def org_unit_positions(*, unit: OrganizationUnit) -> QuerySet:
    """The unit's positions, by title then id."""
    return (
        position_list(company_id=unit.company_id).filter(organization_unit_id=unit.pk).order_by(*UNIT_POSITIONS_ORDER)
    )


# The columns of the expanded shapes (docs/behaviour.md §5): expansions load nothing more.
UNIT_SUMMARY_FIELDS = ("id", "name", "description", "level", "parent_id", "path")
POSITION_SUMMARY_FIELDS = ("id", "title", "description", "level", "organization_unit_id")


def _unit_summaries() -> QuerySet:
    return OrganizationUnit.objects.only(*UNIT_SUMMARY_FIELDS)


def with_unit_summary(queryset: QuerySet, relation: str) -> QuerySet:
    """Joins the unit behind a forward relation (`parent`, `organization_unit`), loading only its summary columns.

    A join rather than prefetch_related: Django 5.2 compiles a forward prefetch into an OR chain on SQLite,
    which fails past about 1000 distinct ids (a page may hold 1000 rows).
    """
    skipped = [f"{relation}__{field}" for field in ("created_at", "updated_at", "company")]
    return queryset.select_related(relation).defer(*skipped)


# Prefetched into plain lists (`to_attr`): a related manager per row would clone a queryset per row.
CHILDREN_ATTR = "expanded_children"
POSITIONS_ATTR = "expanded_positions"


def children_prefetch() -> Prefetch:
    """`children[]` of expanded units, by name then id, as `unit.expanded_children`."""
    return Prefetch("children", queryset=_unit_summaries().order_by("name", "id"), to_attr=CHILDREN_ATTR)


def positions_prefetch() -> Prefetch:
    """`positions[]` of expanded units, by title then id, as `unit.expanded_positions`."""
    return Prefetch(
        "positions",
        queryset=Position.objects.only(*POSITION_SUMMARY_FIELDS).order_by("title", "id"),
        to_attr=POSITIONS_ATTR,
    )


def position_list(*, company_id) -> QuerySet:
    return Position.objects.for_company(company_id)


def position_get(*, company_id, pk) -> Position | None:
    return position_list(company_id=company_id).filter(pk=pk).first()
