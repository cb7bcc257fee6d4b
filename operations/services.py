"""Writes of the operations pages: an operation with its rows, journal entries, impact reports.

A write is all or nothing. Every row goes through ``full_clean()`` and then the database,
whose constraints have the last word; whatever either refuses is put on the form (or the
formset row) and the field that caused it, and the whole write is undone. A service returns
the saved record, or None when it refused: the view then shows the same forms again, bound to
what the user typed, with the errors beside their fields.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperation.constraints import violation
from cooperation.models import stamp
from cooperation.visibility import audiences_before, read_back, refuse_opening
from operations.models import JointOperation, Participation


class Refused(Exception):
    """Something was refused: undo the write (the errors are on the forms already)."""


def put_errors(form, error: ValidationError) -> None:
    """Errors of a model (``full_clean()`` or a constraint) onto ``form``: each beside its
    field when the form shows that field, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    above = []
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            above.extend(message for item in errors for message in item.messages)
    # A unique constraint names several fields: said once beside the form's own field.
    shown = {message for errors in form.errors.values() for message in errors}
    for message in dict.fromkeys(above):
        if message not in shown:
            form.add_error(None, message)


def write_row(form, row, user, *, creating: bool) -> bool:
    """Check and save one row (in a savepoint, so that the next row can still be tried);
    False, with the errors on ``form``, when the model or the database refuses it."""
    stamp(row, user, creating=creating)
    try:
        row.full_clean()
        with transaction.atomic():
            row.save()
    except ValidationError as error:
        put_errors(form, error)
        return False
    except IntegrityError as error:
        put_errors(form, violation(type(row), error) or ValidationError(str(error.__cause__)))
        return False
    return True


def operation_save(*, user, form, formsets) -> JointOperation | None:
    """Create or update the operation of ``form`` with the rows of ``formsets``
    (participants, legal basis, seizures), all valid forms bound to what the user sent.

    An edit is refused when the operation changed since the form was opened (its
    ``version``): the operation's row is locked first, so that two saves cannot both pass
    the check. The operation must stay visible to its author (:func:`read_back`).
    Returns the operation as the user sees it, or None with the errors on the forms."""
    operation = form.save(commit=False)
    form.give_reason()
    creating = operation._state.adding
    written = []  # (row, its key before): rows this attempt created or deleted
    try:
        with transaction.atomic():
            before = {}
            if not creating:
                current = (
                    JointOperation.objects.select_for_update(of=("self",))
                    .select_related("updated_by")
                    .get(pk=operation.pk)
                )
                if not form.is_current(current):
                    raise Refused
                before = audiences_before(JointOperation, [operation.pk])
            if not write_row(form, operation, user, creating=creating):
                raise Refused
            if creating:
                written.append((operation, None))
            form.save_m2m()
            failed = False
            for formset in formsets:
                failed |= not write_rows(formset, operation, user, written)
            if failed:
                raise Refused
            try:
                refuse_opening(user, JointOperation, before)
                return read_back(JointOperation.objects.visible_to(user), operation.pk)
            except ValidationError as error:
                put_errors(form, error)
                raise Refused from None
    except Refused:
        # Nothing was written: the rows get back the keys they had before.
        for row, pk in written:
            row.pk = pk
            row._state.adding = pk is None
        return None


def write_rows(formset, operation, user, written: list) -> bool:
    """Write the rows of one formset: removed ones first (their partners or agreements may
    come back in another row), then the others in their order, except that a new lead comes
    after the lead it replaces."""
    for form in formset.deleted_forms:
        if form.instance.pk:
            written.append((form.instance, form.instance.pk))
            form.instance.delete()
    forms = [
        form
        for form in formset.forms
        if form not in formset.deleted_forms and (form.instance.pk or form.has_changed())
    ]
    if any(leaves_the_lead(form) for form in forms):
        # One lead at a time, also while rows are written one by one.
        forms.sort(key=lambda form: form.cleaned_data.get("role") == Participation.Role.LEAD)
    ok = True
    for form in forms:
        if form.instance.pk and not form.has_changed():
            continue
        row = form.save(commit=False)
        setattr(row, formset.fk.name, operation)
        creating = row._state.adding
        if write_row(form, row, user, creating=creating):
            form.save_m2m()
            if creating:
                written.append((row, None))
        else:
            ok = False
    return ok


def leaves_the_lead(form) -> bool:
    lead = Participation.Role.LEAD
    return bool(
        form.instance.pk
        and form.initial.get("role") == lead
        and form.cleaned_data.get("role") != lead
    )


def operation_child_add(*, user, form, **fields):
    """Add a journal entry or an impact report (``form``, already valid) to its operation,
    with ``fields`` the form does not show (the author)."""
    row = form.save(commit=False)
    form.give_reason()
    for name, value in fields.items():
        setattr(row, name, value)
    try:
        with transaction.atomic():
            if write_row(form, row, user, creating=True):
                return row
            raise Refused
    except Refused:
        row.pk = None
        row._state.adding = True
        return None
