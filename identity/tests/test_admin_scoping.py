"""The admin's company scoping: a staff user sees only their company in every changelist, search, filter,
autocomplete and choice, and another company's object by URL is a 404; a superuser sees every company."""

import uuid

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identity.admin_base import CompanyScopedAdmin, IdentityAdminSite
from identity.models import AuditEvent
from identity.testing.admin import MODELS, changelist, client_for, make_staff, staff_a, staff_client, superuser_client  # noqa: F401
from partners.models import Customer

pytestmark = pytest.mark.django_db


def _ids(directory: dict) -> dict:
    """The directory's object of each registered model, by model name."""
    event = AuditEvent.objects.create(
        company_id=directory["company"],
        source="api",
        action="user.update",
        object_type="user",
        object_id=directory["user"],
        changed_fields=["email"],
    )
    return {
        "company": directory["company"],
        "user": directory["user"],
        "organizationunit": directory["unit"],
        "position": directory["position"],
        "customer": directory["customer"],
        "subcontractor": directory["subcontractor"],
        "auditevent": str(event.pk),
    }


@pytest.fixture
def objects(directory_a, directory_b):
    return _ids(directory_a), _ids(directory_b)


def _rows(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def test_the_site_is_the_default_admin_site():
    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, IdentityAdminSite)


def test_registering_a_company_owned_model_without_the_mixin_fails():
    with pytest.raises(ImproperlyConfigured, match="CompanyScopedAdmin"):
        IdentityAdminSite(name="other").register(Customer, admin.ModelAdmin)
    IdentityAdminSite(name="other").register(Customer, CompanyScopedAdmin)  # the mixin passes


@pytest.mark.parametrize("method", ["get_queryset", "get_field_queryset", "get_search_results", "get_list_filter"])
def test_a_model_admin_cannot_override_the_scoping(method):
    with pytest.raises(ImproperlyConfigured, match=method):
        type("LeakyAdmin", (CompanyScopedAdmin,), {method: lambda self, *args: None})


@pytest.mark.parametrize("app, model", MODELS, ids=[model for _, model in MODELS])
def test_staff_changelists_show_only_their_company(staff_client, superuser_client, objects, app, model):
    own, other = objects
    rows = _rows(staff_client.get(changelist(app, model)))
    assert own[model] in rows and other[model] not in rows
    both = _rows(superuser_client.get(changelist(app, model)))
    assert {own[model], other[model]} <= both


@pytest.mark.parametrize("app, model", MODELS, ids=[model for _, model in MODELS])
def test_another_companys_object_by_url_is_404(staff_client, superuser_client, objects, app, model):
    own, other = objects
    assert staff_client.get(f"{changelist(app, model)}{own[model]}/change/").status_code == 200
    # Audit events cannot be deleted by anyone: their delete page is refused before any lookup.
    for page in ("change", "history") if model == "auditevent" else ("change", "delete", "history"):
        assert staff_client.get(f"{changelist(app, model)}{other[model]}/{page}/").status_code == 404, page
    assert staff_client.get(f"{changelist(app, model)}{uuid.uuid4()}/change/").status_code == 404
    assert superuser_client.get(f"{changelist(app, model)}{other[model]}/change/").status_code == 200


@pytest.mark.parametrize(
    "app, model, term",
    [
        ("partners", "subcontractor", "Supplier"),
        ("org", "position", "Eng"),
        ("users", "user", "Tester"),
        ("companies", "company", "e"),
    ],
)
def test_search_stays_in_the_company(staff_client, objects, app, model, term):
    own, other = objects
    rows = _rows(staff_client.get(changelist(app, model), {"q": term}))
    assert own[model] in rows and other[model] not in rows


@pytest.mark.parametrize(
    "app, model, field, target",
    [
        ("org", "position", "organization_unit", "organizationunit"),
        ("org", "organizationunit", "parent", "organizationunit"),
        ("users", "user", "position", "position"),
        ("partners", "customer", "company", "company"),
    ],
)
def test_autocomplete_and_choices_stay_in_the_company(
    staff_client, superuser_client, objects, app, model, field, target
):
    own, other = objects
    params = {"app_label": app, "model_name": model, "field_name": field, "term": ""}
    found = {item["id"] for item in staff_client.get("/admin/autocomplete/", params).json()["results"]}
    assert own[target] in found and other[target] not in found
    every = {item["id"] for item in superuser_client.get("/admin/autocomplete/", params).json()["results"]}
    assert {own[target], other[target]} <= every
    form = staff_client.get(f"{changelist(app, model)}add/").context["adminform"].form
    choices = {str(pk) for pk in form.fields[field].queryset.values_list("pk", flat=True)}
    assert own[target] in choices and other[target] not in choices


def test_company_filter_offers_only_the_staff_users_company(staff_client, superuser_client, objects):
    own, other = objects
    for client, expected in ((staff_client, {own["company"]}), (superuser_client, {own["company"], other["company"]})):
        for app, model in (("users", "user"), ("partners", "customer"), ("identity", "auditevent")):
            specs = client.get(changelist(app, model)).context["cl"].filter_specs
            company = next((spec for spec in specs if spec.title == "company"), None)
            if company is None:  # Django hides a related filter with a single choice
                assert len(expected) == 1, model
                continue
            assert {str(value) for value, _ in company.lookup_choices} == expected, model


def test_a_filter_naming_another_company_shows_none_of_its_rows(staff_client, objects):
    own, other = objects
    rows = _rows(staff_client.get(changelist("partners", "customer"), {"company__id__exact": other["company"]}))
    assert other["customer"] not in rows


def test_actions_ignore_another_companys_rows(staff_client, objects):
    own, other = objects
    response = staff_client.post(
        changelist("users", "user"), {"action": "deactivate", "_selected_action": [other["user"]]}
    )
    assert response.status_code in (200, 302)
    from users.models import User

    assert User.objects.get(pk=other["user"]).is_active


def _changelist_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("app, model", MODELS, ids=[model for _, model in MODELS])
def test_changelist_queries_do_not_grow_with_the_rows(superuser_client, company_a, app, model):
    from identity.testing.admin import seed_rows

    seed_rows(company_a, 5)
    few = _changelist_queries(superuser_client, changelist(app, model))
    seed_rows(company_a, 45)
    many = _changelist_queries(superuser_client, changelist(app, model))
    assert few == many


def test_audit_events_cannot_be_added_changed_or_deleted(superuser_client, objects):
    own, _ = objects
    events = changelist("identity", "auditevent")
    event = AuditEvent.objects.get(pk=own["auditevent"])
    assert superuser_client.get(f"{events}add/").status_code == 403
    assert superuser_client.post(f"{events}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    page = superuser_client.get(f"{events}{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert superuser_client.post(f"{events}{event.pk}/change/", {"action": "user.delete"}).status_code == 403
    response = superuser_client.post(
        events, {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    event.refresh_from_db()
    assert event.action == "user.update"
