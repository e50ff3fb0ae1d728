"""The admin in a real browser (headless Chromium driven by Playwright) against a live server: log in, find a
user, reset its password and read the message, move a unit, read the audit trail."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from identity.testing.admin import PASSWORD, make_staff
from org import services as org_services

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _verify(base_url: str, email: str, password: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/verify_password",
        method="POST",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_operator_session_in_the_browser(live_server, company_a, company_b, make_user):
    staff = make_staff(company_a, "operator@acme.test")
    target = make_user(company_a, "target.person@acme.test", first_name="Target", last_name="Person")
    make_user(company_a, "bystander@acme.test")
    make_user(company_b, "target.foreign@globex.test")  # another company's match for the search: never listed
    root = org_services.org_unit_create(company_id=company_a.pk, data={"name": "Headquarters"})
    sales = org_services.org_unit_create(company_id=company_a.pk, data={"name": "Sales", "parent_id": root.pk})
    team = org_services.org_unit_create(company_id=company_a.pk, data={"name": "Team East", "parent_id": sales.pk})
    research = org_services.org_unit_create(company_id=company_a.pk, data={"name": "Research", "parent_id": root.pk})
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)

        # Log in.
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", staff.email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        expect(page.locator("#site-name")).to_contain_text("Identity Service administration")

        # The users changelist and a search.
        page.goto(f"{base}/admin/users/user/")
        expect(page.locator("#result_list")).to_contain_text("bystander@acme.test")
        page.fill("#searchbar", "target")
        page.press("#searchbar", "Enter")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        expect(page.locator("#result_list")).to_contain_text("target.person@acme.test")
        expect(page.locator("#result_list")).not_to_contain_text("globex")

        # reset_password: the temporary password is in the message, once.
        page.check(f"input[name=_selected_action][value='{target.pk}']")
        page.select_option("select[name=action]", "reset_password")
        page.click("button[name=index]")
        message = page.locator(".messagelist li").first.inner_text()
        temporary = re.search(r"Temporary password for target\.person@acme\.test: (\S{12}) ", message).group(1)
        page.reload()
        expect(page.locator(".messagelist")).to_have_count(0)

        # Move a unit under another parent with the autocomplete widget.
        page.goto(f"{base}/admin/org/organizationunit/{sales.pk}/change/")
        page.click(".field-parent .select2-selection")
        page.fill(".select2-search__field", "Resea")
        page.click(".select2-results__option:has-text('Research')")
        page.click("input[name=_save]")
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
        names = page.locator("#result_list .field-indented_name").all_inner_texts()
        assert [name.strip() for name in names] == ["Headquarters", "Research", "Sales", "Team East"]

        # The audit changelist shows both admin writes.
        page.goto(f"{base}/admin/identity/auditevent/")
        expect(page.locator("#result_list")).to_contain_text("password.admin_reset")
        expect(page.locator("#result_list")).to_contain_text("organization_unit.update")
        expect(page.locator("#result_list")).not_to_contain_text(temporary)
        browser.close()

    assert _verify(base, target.email, temporary) == 200
    team.refresh_from_db()
    assert team.path == f"{root.pk}/{research.pk}/{sales.pk}/{team.pk}" and team.level == 3
