"""Companies, customers and subcontractors in the admin: API validation and uniqueness as form errors, deletes
through the services (file clean-up included)."""

import pytest

from companies.models import Company
from identity.models import AuditEvent
from identity.testing.admin import changelist, staff_a, staff_client, superuser_client  # noqa: F401
from partners.models import Customer, Subcontractor

pytestmark = pytest.mark.django_db


def _errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def test_subcontractor_name_taken_is_a_form_error(staff_client, company_a, directory_a):
    url = f"{changelist('partners', 'subcontractor')}add/"
    errors = _errors(staff_client.post(url, {"company": str(company_a.pk), "name": "SUPPLIER"}))
    assert errors["name"] == ["Name already exists."]
    assert staff_client.post(url, {"company": str(company_a.pk), "name": "Other supplier"}).status_code == 302
    assert Subcontractor.objects.filter(name="Other supplier", company=company_a).exists()
    assert AuditEvent.objects.get().action == "subcontractor.create"


def test_customer_email_is_validated_as_the_api_does(staff_client, company_a):
    url = f"{changelist('partners', 'customer')}add/"
    errors = _errors(staff_client.post(url, {"company": str(company_a.pk), "name": "C", "email": "nope"}))
    assert "email" in errors and not Customer.objects.filter(name="C").exists()


def test_staff_cannot_add_to_another_company(staff_client, company_b):
    url = f"{changelist('partners', 'customer')}add/"
    errors = _errors(staff_client.post(url, {"company": str(company_b.pk), "name": "Sneaky"}))
    assert "company" in errors and not Customer.objects.filter(name="Sneaky").exists()


def test_customer_delete_removes_its_logo_file(staff_client, directory_a, media_root):
    customer = Customer.objects.get(pk=directory_a["customer"])
    folder = media_root / "customer_logos" / str(customer.pk)
    folder.mkdir(parents=True)
    (folder / "logo-1.png").write_bytes(b"png")
    Customer.objects.filter(pk=customer.pk).update(logo_file_id="logo-1", has_logo=True)
    response = staff_client.post(f"{changelist('partners', 'customer')}{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not (folder / "logo-1.png").exists()
    assert AuditEvent.objects.get().action == "customer.delete"


def test_company_rules(staff_client, superuser_client, company_a, user_a):
    companies = changelist("companies", "company")
    assert staff_client.get(f"{companies}add/").status_code == 403  # only superusers add tenants
    errors = _errors(superuser_client.post(f"{companies}add/", {"name": "acme"}))
    assert errors["name"] == ["Name already exists."]
    assert (
        superuser_client.post(f"{companies}add/", {"name": "Initech", "website": "https://initech.test"}).status_code
        == 302
    )
    assert Company.objects.filter(name="Initech").exists()
    response = staff_client.post(f"{companies}{company_a.pk}/delete/", {"post": "yes"}, follow=True)
    assert "Company still has users or organization units" in [str(m) for m in response.context["messages"]]
    assert Company.objects.filter(pk=company_a.pk).exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["company.create"]
    initech = Company.objects.get(name="Initech")
    assert superuser_client.post(f"{companies}{initech.pk}/delete/", {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(action="company.delete")  # once: by the service, not again by the admin
    assert (deleted.object_id, deleted.company_id, deleted.source) == (initech.pk, initech.pk, "admin")
