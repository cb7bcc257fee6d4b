"""The portal as a person uses it, in a real browser: signing in, filtering, opening a record,
searching; and every main page free of serious accessibility problems."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from agreements.models import Agreement
from cooperation.models import Partner
from summaries.compute import compute
from tests import factories

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def records(cast):
    """A few records of every kind, some only Colombia's officers may see."""
    treaty = factories.AgreementFactory(
        title="Caribbean maritime counter-drug treaty",
        kind=Agreement.Kind.TREATY,
        reference="CMT/2003/1",
        summary="Boarding, ship-rider and overflight cooperation among Caribbean states.",
        parties=[cast.colombia, cast.peru],
    )
    factories.AgreementFactory(
        title="Andean precursor control treaty", kind=Agreement.Kind.TREATY, parties=[cast.peru]
    )
    for number in range(3):
        factories.AgreementFactory(
            title=f"Memorandum on intelligence sharing no. {number}",
            signed_on=datetime.date(2018 + number, 6, 1),
        )
    factories.AgreementFactory(
        title="Restricted riverine memorandum", sensitivity="restricted", parties=[cast.colombia]
    )
    operation = factories.JointOperationFactory(
        name="Operation Orion Pacific",
        summary="Maritime interdiction along the Pacific coast.",
        participants=[cast.colombia, cast.colombian_navy],
    )
    factories.LegalBasisFactory(operation=operation, agreement=treaty)
    factories.JointOperationFactory(
        name="Operation Lantern", sensitivity="restricted", participants=[cast.colombia]
    )
    factories.JournalEntryFactory(
        operation=operation, title="Go-fast boat intercepted", author=cast.officer
    )
    factories.OrganizationFactory(
        name="Maritime Analysis and Operations Centre",
        acronym="MAOC-N",
        organization_type=Partner.OrganizationType.INTERGOVERNMENTAL,
    )
    compute("month", operation.started_on.replace(day=1))
    return {"treaty": treaty, "operation": operation}


def results_count(page) -> str:
    return page.locator("#results .count strong").inner_text()


def test_an_officer_signs_in_through_the_login_form(page, cast, screenshot):
    page.goto("/accounts/login/")
    screenshot(page, "login")
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("officer")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_wrong_password_is_refused_beside_the_form(page, cast):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("officer")


def test_filtering_agreements_swaps_the_results_and_keeps_the_filters_in_the_url(
    page, cast, records, sign_in, screenshot
):
    sign_in(page, cast.officer)
    page.goto("/agreements/")
    expect(page.locator("#results .count strong")).to_have_text("6")

    page.get_by_role("checkbox", name="Treaty / convention").check()

    expect(page.locator("#results .count strong")).to_have_text("2")
    expect(page).to_have_url(re.compile(r"kind=treaty"))
    expect(page.locator("#results")).to_contain_text("Caribbean maritime counter-drug treaty")
    expect(page.locator("#results")).not_to_contain_text("Memorandum on intelligence sharing")
    screenshot(page, "agreements-filtered")

    page.reload()
    expect(page.locator("#results .count strong")).to_have_text("2")
    expect(page.get_by_role("checkbox", name="Treaty / convention")).to_be_checked()


def test_an_agreement_opens_from_the_list(page, cast, records, sign_in, screenshot):
    sign_in(page, cast.officer)
    page.goto("/agreements/")

    page.get_by_role("link", name="Caribbean maritime counter-drug treaty").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Caribbean maritime counter-drug treaty"
    )
    expect(page.get_by_role("link", name="Operation Orion Pacific")).to_be_visible()
    screenshot(page, "agreement-detail")


def test_the_search_box_finds_records_and_highlights_the_words(
    page, cast, records, sign_in, screenshot
):
    sign_in(page, cast.officer)
    page.goto("/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Search").click()

    page.get_by_role("searchbox").fill("maritime")
    page.get_by_role("searchbox").press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=maritime"))
    agreements = page.locator("#results-agreements")
    expect(
        agreements.get_by_role("link", name="Caribbean maritime counter-drug treaty")
    ).to_be_visible()
    expect(agreements.locator("mark").first).to_have_text("maritime")
    expect(page.locator("#results-partners")).to_contain_text("MAOC-N")
    screenshot(page, "search")

    page.locator("#results-operations").get_by_role("link", name="Operation Orion Pacific").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operation Orion Pacific")


MAIN_PAGES = {
    "dashboard": "/",
    "agreements-list": "/agreements/",
    "agreement-detail": "treaty",
    "operations-list": "/operations/",
    "partners-list": "/partners/",
    "search-results": "/search/?q=maritime",
    "search-empty": "/search/",
    "summaries": "/summaries/?period=2020-05-01",
    "login": "/accounts/login/",
}


@pytest.mark.parametrize("name", MAIN_PAGES)
def test_main_pages_have_no_serious_accessibility_violations(
    page, tablet, cast, records, sign_in, screenshot, axe_check, name
):
    path = MAIN_PAGES[name]
    if path == "treaty":
        path = records["treaty"].get_absolute_url()
    for tab, size in ((page, "laptop"), (tablet, "tablet")):
        if name != "login":
            sign_in(tab, cast.officer)
        tab.goto(path)
        expect(tab.get_by_role("heading", level=1)).to_be_visible()
        screenshot(tab, f"{name}-{size}")
        axe_check(tab)


def test_the_accessibility_check_fails_on_a_serious_violation(page, axe_check):
    page.set_content('<html lang="en"><title>t</title><main><input type="text"></main></html>')
    with pytest.raises(pytest.fail.Exception, match="label"):
        axe_check(page)
