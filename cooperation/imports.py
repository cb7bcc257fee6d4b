"""Import jobs: a spreadsheet uploaded (portal or API), checked by a Celery task (the dry
run), confirmed, then imported by another; each task reports its progress on the job as
it goes. The rules of reading and writing are in :mod:`cooperation.importing`; here is who
may import what, and the life of a job."""

from __future__ import annotations

import csv
import datetime
import io
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from cooperation import importing
from cooperation.models import ImportJob
from cooperation.roles import may_change
from cooperation.visibility import viewer

log = logging.getLogger(__name__)

KINDS = {
    "operations": "operations.imports.OperationImport",
    "agreements": "agreements.imports.AgreementImport",
}
MAX_FILE_BYTES = 50 * 1024 * 1024
IMPORT_LOCK = 7001  # advisory lock class of import jobs (the job's id is the other key)
SUFFIXES = (".csv", ".xlsx")


def kind_named(name: str) -> importing.ImportKind:
    try:
        return import_string(KINDS[name])()
    except KeyError:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(KINDS)}."]}) from None


def kind_choices() -> list[tuple[str, str]]:
    return [(name, kind_named(name).label) for name in KINDS]


def may_import(user, kind: importing.ImportKind) -> bool:
    """Officers and administrators: whoever may add and change the records and their rows."""
    models = [m for m in (kind.record_model, kind.child_model) if m is not None]
    return all(
        may_change(user, model)
        and user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
        for model in models
    )


def start(user, *, kind: str, upload, mode: str, reason: str = "", then_import=False):
    """A new job for ``upload`` (a file object with ``name``), checked by a task. Raises
    ValidationError (nothing stored) for a file or choice that cannot be taken."""
    spec = kind_named(kind)
    if not may_import(user, spec):
        raise PermissionDenied("Only officers import records.")
    errors = {}
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(SUFFIXES):
        errors["file"] = ["Upload a .csv or .xlsx file."]
    elif getattr(upload, "size", 0) > MAX_FILE_BYTES:
        errors["file"] = [f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."]
    if mode not in ImportJob.Mode.values:
        errors["mode"] = [f"Choose one of: {', '.join(ImportJob.Mode.values)}."]
    if len(reason) > 500:
        errors["reason"] = ["At most 500 characters."]
    if errors:
        raise ValidationError(errors)
    partners = viewer(user)[1]
    job = ImportJob.objects.create(
        kind=kind,
        mode=mode,
        filename=name.rsplit("/", 1)[-1][:200],
        content=upload.read(),
        user=user,
        author_partner_id=partners[0] if partners else None,
        reason=reason.strip(),
        stage="Waiting for a worker",
    )
    transaction.on_commit(lambda: enqueue(job, then_import=then_import))
    return job


def confirm(job: ImportJob, user) -> ImportJob:
    """Queue the import of a checked job (by whoever started it, or an administrator)."""
    with transaction.atomic():
        job = ImportJob.objects.visible_to(user).select_for_update().get(pk=job.pk)
        if not may_import(user, kind_named(job.kind)):
            raise PermissionDenied("Only officers import records.")
        if not job.confirmable:
            raise ValidationError(
                {"state": [f"Only a checked import can be confirmed; this one is "
                           f"{job.get_state_display().lower()}."]}
            )  # fmt: skip
        job.state, job.progress, job.stage = ImportJob.State.IMPORTING, 0, "Waiting for a worker"
        job.save(update_fields=["state", "progress", "stage"])
    transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: ImportJob, *, then_import: bool = False) -> bool:
    """Send the job's next task to the workers. The job row is the outbox: when the broker
    cannot take the task now, the job waits, saved, and the sweep
    (:func:`requeue_stalled`) sends it again once the broker is back — the user gets their
    page, never an error."""
    from cooperation.tasks import check_import, run_import

    if job.state == ImportJob.State.IMPORTING:
        task, args, kwargs = run_import, (job.pk,), {}
    else:
        task, args, kwargs = check_import, (job.pk,), {"then_import": then_import}
    try:
        task.apply_async(args, kwargs, queue=settings.IMPORT_QUEUE or None, retry=False)
    except Exception:  # the broker is unreachable (kombu raises its transport's errors)
        log.warning("import job %s: the broker is unreachable; the sweep will queue it", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(stage="Waiting for the task queue")
        return False
    return True


STALLED_AFTER = datetime.timedelta(minutes=5)


def requeue_stalled(now=None) -> int:
    """Queue again the jobs under way that showed no sign of life for STALLED_AFTER: never
    queued (the broker was down), or their worker died. A job is worked on by one worker at
    a time (:func:`perform` holds a lock on it), so a job queued twice runs once."""
    now = now or timezone.now()
    stalled = ImportJob.objects.filter(
        state__in=(ImportJob.State.CHECKING, ImportJob.State.IMPORTING),
        heartbeat_at__lt=now - STALLED_AFTER,
    ).only("pk", "state")
    count = 0
    for job in stalled:
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=now)
        count += enqueue(job)
    return count


class ProgressWriter:
    """Writes a job's progress through a connection of its own, committed at once, so that
    the page sees it while the import's own transaction is still open."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = connections.create_connection("default")

    def __call__(self, percent: int, stage: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET progress = %s, stage = %s, "
                "heartbeat_at = now() WHERE id = %s",
                [percent, stage[:100], self.job_id],
            )

    def claim(self) -> bool:
        """Hold the job's lock (an advisory lock of this connection's session) for as long
        as the task works on it: a second worker given the same job finds it taken."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_LOCK, self.job_id])
            return cursor.fetchone()[0]

    def close(self) -> None:
        self.connection.close()  # and with the session, the lock


def perform(job_id: int, *, write: bool) -> ImportJob:
    """Check (``write`` False) or import a job, and store what came of it. A job already
    past that step, or being worked on by another worker, is left alone."""
    progress = ProgressWriter(job_id)
    if not progress.claim():
        progress.close()
        return ImportJob.objects.get(pk=job_id)  # another worker is on it
    job = ImportJob.objects.select_related("user").get(pk=job_id)  # read once the lock is held
    wanted = ImportJob.State.IMPORTING if write else ImportJob.State.CHECKING
    if job.state != wanted:
        progress.close()
        return job
    try:
        outcome = importing.run(
            kind_named(job.kind),
            filename=job.filename,
            data=bytes(job.content),
            user=job.user,
            author_partner_id=job.author_partner_id,
            skip_bad_rows=job.mode == ImportJob.Mode.SKIP_BAD_ROWS,
            write=write,
            reason=job.reason,
            progress=progress,
        )
    except importing.ImportFileError as error:
        job.problems = [importing.Problem(1, "", str(error)).as_dict()]
        job.state, job.stage = ImportJob.State.REJECTED, "The file cannot be read"
    except Exception:
        log.exception("import job %s failed", job.pk)
        job.state, job.stage = ImportJob.State.FAILED, "Failed: an error on our side, logged"
    else:
        job.rows = outcome.rows
        job.problems = [p.as_dict() for p in outcome.problems]
        job.summary = outcome.summary
        writable = outcome.summary.get("records", 0) > 0
        fine = writable and (not outcome.problems or job.mode == ImportJob.Mode.SKIP_BAD_ROWS)
        if write and outcome.change_set:
            job.state, job.stage = ImportJob.State.DONE, ""
            job.change_set = outcome.change_set
        elif write:
            # The records changed since the check, and the file no longer fits them.
            job.state, job.stage = ImportJob.State.REJECTED, "Nothing was written"
        elif fine:
            job.state, job.stage = ImportJob.State.CHECKED, ""
        else:
            job.state, job.stage = ImportJob.State.REJECTED, ""
    finally:
        progress.close()
    job.progress = 100
    if job.finished:
        job.finished_at = timezone.now()
    job.save()
    return job


def problems_csv(job: ImportJob) -> str:
    """The job's problems as CSV, for the spreadsheet beside the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "message"])
    for problem in job.problems:
        writer.writerow([problem["row"], problem["column"], problem["message"]])
    return out.getvalue()


def template_csv(kind: importing.ImportKind) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(kind.template_rows())
    return ("\ufeff" + out.getvalue()).encode()


def template_xlsx(kind: importing.ImportKind) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind.name
    for row in kind.template_rows():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    notes = book.create_sheet("Columns")
    notes.append(["column", "required", "what it holds"])
    for column in kind.columns:
        notes.append([column.name, "yes" if column.required else "", column.help])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
