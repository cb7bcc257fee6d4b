"""An officer imports a spreadsheet in the portal, checked and then imported by a real
Celery worker from a real Redis broker, and watches the progress bar reach 100 %."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from cooperation.models import ImportJob
from operations.models import JointOperation, Seizure
from tests.services import redis_broker_url
from tests.summaries.test_worker import Worker

OPERATIONS, SEIZURES_EACH = 200, 10
HEADER = (
    "operation_ref,name,kind,status,started_on,partners,seizure_ref,substance,quantity,unit,"
    "seized_on"
)


def spreadsheet() -> bytes:
    lines = [HEADER]
    for op in range(OPERATIONS):
        for seizure in range(SEIZURES_EACH):
            own = (
                f"Operation Lantern {op},raid,active,2024-03-01,Government of Colombia: lead"
                if seizure == 0
                else ",,,,"
            )
            lines.append(
                f"L-{op},{own},S-{seizure},cocaine,{seizure + 1}.5,kg,2024-03-{seizure + 2:02d}"
            )
    return "\n".join(lines).encode()


@pytest.fixture
def worker(settings):
    broker = redis_broker_url()
    queue = f"test-imports-{uuid.uuid4().hex}"
    settings.IMPORT_QUEUE = queue
    process = Worker(queue, broker)
    yield process
    process.stop()


def watch_progress(page, until_state: str, timeout=120.0) -> list[int]:
    """The per cents the page showed, read as it polls, until it shows ``until_state``."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.locator("#import-percent").text_content(timeout=10_000) or ""
        if text.strip().endswith("%"):
            value = int(text.strip().rstrip("% "))
            if not seen or seen[-1] != value:
                seen.append(value)
        if page.locator(f"[data-state={until_state}]").count():
            return seen
        time.sleep(0.1)
    raise AssertionError(f"the page did not reach {until_state}; it showed {seen}")


def test_an_officer_imports_a_file_and_watches_it_reach_100_percent(
    page, cast, sign_in, worker, screenshot, axe_check
):
    sign_in(page, cast.officer)
    page.goto("/imports/")
    axe_check(page)
    page.check("input[name=kind][value=operations]")
    page.set_input_files(
        "#id_file",
        files=[{"name": "lanterns.csv", "mimeType": "text/csv", "buffer": spreadsheet()}],
    )
    page.fill("#id_reason", "Quarterly seizure log")
    page.click("button:has-text('Upload and check')")
    page.wait_for_url("**/imports/*/")
    checked = watch_progress(page, "checked")
    assert checked[-1] == 100
    expect(page.locator("#summary-h")).to_have_text("What the file holds")
    assert JointOperation.objects.count() == 0  # checked, not written
    screenshot(page, "import-checked")
    axe_check(page)

    page.click(f"button:has-text('Import {OPERATIONS} operations')")
    imported = watch_progress(page, "done")
    assert imported[-1] == 100
    assert imported == sorted(imported), f"the progress went back: {imported}"
    expect(page.locator("#import-percent")).to_have_text("100 %")
    expect(page.locator("#summary-h")).to_have_text("What was written")
    screenshot(page, "import-done")

    job = ImportJob.objects.get()
    assert job.state == "done" and job.progress == 100 and job.change_set
    assert JointOperation.objects.filter(author_partner=cast.colombia).count() == OPERATIONS
    assert Seizure.objects.count() == OPERATIONS * SEIZURES_EACH
    assert set(JointOperation.objects.values_list("review_state", flat=True)) == {"draft"}
