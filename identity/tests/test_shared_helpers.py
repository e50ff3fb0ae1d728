"""The shared helpers behind the apps: set-based deletes, the company filter, the output shapes, the routes."""

import pytest
from django.db import models
from django.urls import resolve

from companies.api.serializers import CompanySerializer
from companies.models import Company
from identity.services import delete_set
from org import services as org_services
from org.models import Position
from users.api.credential_views import UserCredentialViewSet
from users.api.serializers import USER_KEYS, UserSerializer
from users.api.views import UserViewSet
from users.models import User

pytestmark = pytest.mark.django_db


def _positions(company, count):
    unit = org_services.org_unit_create(company_id=company.pk, data={"name": "Unit"})
    return [
        org_services.position_create(
            company_id=company.pk, organization_unit_id=unit.pk, data={"title": f"Title {index}"}
        )
        for index in range(count)
    ]


def test_delete_set_releases_set_null_references_and_deletes_in_constant_statements(
    company_a, make_user, django_assert_num_queries
):
    positions = _positions(company_a, 3)
    holders = [
        make_user(company_a, f"holder{index}@acme.test", position=position) for index, position in enumerate(positions)
    ]
    set_null = [rel for rel in Position._meta.related_objects if rel.on_delete is models.SET_NULL]
    assert set_null, "users.User.position is SET_NULL"
    with django_assert_num_queries(len(set_null) + 1):
        deleted = delete_set(Position.objects.filter(pk__in=[position.pk for position in positions[:2]]))
    assert deleted == 2
    assert list(Position.objects.values_list("pk", flat=True)) == [positions[2].pk]
    holders_now = {user.pk: user.position_id for user in User.objects.filter(pk__in=[u.pk for u in holders])}
    assert holders_now == {holders[0].pk: None, holders[1].pk: None, holders[2].pk: positions[2].pk}


def test_for_company_scopes_owned_rows_and_the_company_by_its_own_id(company_a, company_b, user_a, user_b):
    assert list(User.objects.for_company(company_a.pk)) == [user_a]
    assert list(Company.objects.for_company(company_b.pk)) == [company_b]
    assert User.objects.get_in_company(pk=user_b.pk, company_id=company_a.pk) is None
    assert User.objects.get_in_company(pk=user_a.pk, company_id=company_a.pk) == user_a
    assert Company.objects.get_in_company(pk=company_a.pk, company_id=company_a.pk) == company_a
    assert Company.objects.get_in_company(pk=company_b.pk, company_id=company_a.pk) is None


def test_get_in_company_active_only_skips_inactive_users(company_a, user_a):
    User.objects.filter(pk=user_a.pk).update(is_active=False)
    assert User.objects.get_in_company(pk=user_a.pk, company_id=company_a.pk, active_only=True) is None
    assert User.objects.get_in_company(pk=user_a.pk, company_id=company_a.pk) is not None


def test_keyed_shape_is_the_same_from_an_instance_and_from_a_row(user_a, company_a):
    row = User.objects.filter(pk=user_a.pk).values_list(*USER_KEYS, named=True).get()
    from_instance = UserSerializer(user_a).data
    assert list(from_instance) == list(USER_KEYS)
    assert UserSerializer.represent(row) == from_instance
    assert from_instance["id"] == str(user_a.pk) and from_instance["company_id"] == str(company_a.pk)
    assert from_instance["created_at"].endswith("Z")
    assert CompanySerializer(company_a).data["id"] == str(company_a.pk)


@pytest.mark.parametrize(
    "path, viewset, action",
    [
        ("/users/me/change-password", UserCredentialViewSet, "change_password"),
        ("/users/password-reset/request", UserCredentialViewSet, "password_reset_request"),
        ("/users/password-reset/confirm", UserCredentialViewSet, "password_reset_confirm"),
        (
            "/users/00000000-0000-0000-0000-000000000001/admin-reset-password",
            UserCredentialViewSet,
            "admin_reset_password",
        ),
        ("/users/me", UserViewSet, "retrieve"),
    ],
)
def test_static_user_paths_resolve_to_their_action(path, viewset, action):
    match = resolve(path)
    assert match.func.cls is viewset
    assert action in match.func.actions.values()
