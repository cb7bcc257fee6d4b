"""An officer logs an operation in the browser: rows added without a reload, records chosen
with the keyboard, errors shown beside the field that caused them, the new operation listed."""

from __future__ import annotations

from playwright.sync_api import expect

from operations.models import JointOperation


def choose(page, selector: str, typed: str) -> None:
    """Type into an autocomplete box and take the first suggestion with the keyboard."""
    page.focus(selector)
    page.keyboard.type(typed)
    page.wait_for_selector(f"{selector}_options:not([hidden]) [role=option]:not([aria-disabled])")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


def fill_operation(page, name: str) -> None:
    page.goto("/operations/new/")
    page.fill("#id_name", name)
    page.select_option("#id_kind", "maritime_interdiction")
    page.fill("#id_started_on", "2024-03-01")
    choose(page, "#id_countries", "colombia")
    choose(page, "#id_participations-0-partner", "government of colombia")
    page.select_option("#id_participations-0-role", "lead")
    page.click("text=Add a participant")
    assert page.evaluate("document.activeElement.id") == "id_participations-1-partner"
    choose(page, "#id_participations-1-partner", "government of peru")
    page.click("text=Add a seizure")
    page.select_option("#id_seizures-0-substance", "cocaine")
    page.fill("#id_seizures-0-quantity", "1200")
    page.select_option("#id_seizures-0-unit", "kg")
    page.fill("#id_seizures-0-seized_on", "2024-03-02")
    page.click("text=Add a seizure")
    page.select_option("#id_seizures-1-substance", "cannabis_herb")
    page.fill("#id_seizures-1-quantity", "3.5")
    page.select_option("#id_seizures-1-unit", "t")
    page.fill("#id_seizures-1-seized_on", "2024-03-03")


def test_an_officer_logs_an_operation_with_two_participants_and_two_seizures(
    page, cast, sign_in, screenshot, axe_check
):
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    sign_in(page, cast.officer)
    fill_operation(page, "Operation Two Tides")
    # A row added and removed again is not saved.
    page.click("text=Add a participant")
    choose(page, "#id_participations-2-partner", "colombian navy")
    page.check("#id_participations-2-DELETE")
    screenshot(page, "operation-new-filled")
    axe_check(page)
    page.click("button:has-text('Log the operation')")
    page.wait_for_url("**/operations/*/")
    expect(page.locator("h1")).to_have_text("Operation Two Tides")
    screenshot(page, "operation-detail-new")

    page.goto("/operations/?q=tides")
    expect(page.locator("#results .count strong")).to_have_text("1")
    expect(page.locator("#results table")).to_contain_text("Operation Two Tides")
    assert errors == []

    operation = JointOperation.objects.get(name="Operation Two Tides")
    assert operation.created_by == cast.officer
    assert {p.partner for p in operation.participations.all()} == {cast.colombia, cast.peru}
    assert operation.lead == cast.colombia
    assert sorted((s.substance_id, float(s.kg_equivalent)) for s in operation.seizures.all()) == [
        ("cannabis_herb", 3500.0),
        ("cocaine", 1200.0),
    ]


def test_a_validation_error_shows_beside_its_field_and_keeps_what_was_typed(
    page, cast, sign_in, screenshot
):
    sign_in(page, cast.officer)
    fill_operation(page, "Operation Backwards")
    page.fill("#id_ended_on", "2024-02-01")  # before it started
    page.fill("#id_seizures-1-quantity", "-4")
    page.click("button:has-text('Log the operation')")
    page.wait_for_load_state()

    ended_error = page.locator("#id_ended_on_error")
    expect(ended_error).to_contain_text("cannot end before it started")
    # The message sits with its field, and the field points at it for screen readers.
    field = page.locator("#id_ended_on")
    assert "id_ended_on_error" in (field.get_attribute("aria-describedby") or "")
    expect(page.locator("#id_seizures-1-quantity_error")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("Operation Backwards")
    expect(page.locator("#id_seizures-0-quantity")).to_have_value("1200")
    screenshot(page, "operation-new-errors")
    assert not JointOperation.objects.filter(name="Operation Backwards").exists()
