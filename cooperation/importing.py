"""Bulk import of spreadsheets (CSV or XLSX) into records and their rows.

An import kind (:class:`ImportKind`, see ``operations.imports`` and ``agreements.imports``)
names its columns: those of the *record* (an operation, an agreement), keyed by the
record's reference, and those of its *rows* (a seizure, a party), keyed within the record.
A file holds one line per row; lines of the same record repeat its reference, and one of
them (any) gives the record's own columns. A line with only the record's columns is a
record without rows.

The file goes through four stages, each over the whole file at once:

1. **read**: cells to text (XLSX dates to ISO dates, numbers without float noise);
2. **parse**: text to values, column by column, with every problem kept (row, column,
   message) rather than stopping at the first; formulas are refused;
3. **check**: the rules across lines (duplicate keys, a record's columns given twice and
   differently, the kind's own rules) and the models' database ``CHECK`` constraints,
   evaluated on temporary tables that hold every line, so that the rules stay where they
   are declared, on the models;
4. **write**: the same temporary tables feed one ``INSERT … ON CONFLICT`` per table, keyed
   on the natural keys (a record's reference within its author partner, a row's key within
   its record). A row already as the file says is not touched, so a re-import changes
   nothing. The database triggers record every change, all under one change set.

No stage runs a query or a ``save()`` per line.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pgtrigger
from django.db import connection, models, transaction

from cooperation.history import changes, events_from, qn

MAX_PROBLEMS = 100_000
LIST_SEPARATOR = ";"
AMBIGUOUS = object()


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV or XLSX, not UTF-8, no header)."""


class CellError(ValueError):
    """A cell's text is not a value of its column."""


@dataclass(frozen=True, order=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


# -- parsers: text to value, or CellError ----------------------------------------------------


def text(max_length: int | None = None) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if max_length is not None and len(raw) > max_length:
            raise CellError(f"At most {max_length} characters ({len(raw)} given).")
        return raw

    parse.is_text = True
    return parse


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date(raw: str) -> datetime.date:
    if ISO_DATE.match(raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    raise CellError(f"“{raw}” is not a date: write it as YYYY-MM-DD.")


def number(max_digits: int, decimal_places: int) -> Callable[[str], Decimal]:
    """A decimal that fits a ``numeric(max_digits, decimal_places)`` column (its sign and
    range are the model's constraints, checked with the others)."""

    def parse(raw: str) -> Decimal:
        try:
            value = Decimal(raw.replace(",", "").replace("\u00a0", "").replace(" ", ""))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise CellError(f"“{raw}” is not a number.")
        exponent = value.as_tuple().exponent
        if -exponent > decimal_places and value != value.quantize(
            Decimal(1).scaleb(-decimal_places)
        ):
            raise CellError(f"At most {decimal_places} decimal places.")
        if abs(value) >= Decimal(10) ** (max_digits - decimal_places):
            raise CellError(f"“{raw}” is too large.")
        return value

    return parse


def whole_number(raw: str) -> int:
    try:
        value = int(raw.replace(",", "").replace(" ", ""))
    except ValueError:
        try:
            exact = Decimal(raw)
        except InvalidOperation:
            exact = None
        if exact is None or not exact.is_finite() or exact != exact.to_integral_value():
            raise CellError(f"“{raw}” is not a whole number.") from None
        value = int(exact)
    if not -(2**31) <= value < 2**31:
        raise CellError(f"“{raw}” is too large.")
    return value


def choice(choices: type[models.TextChoices]) -> Callable[[str], str]:
    """A coded value, by its code or its label (any case)."""
    known = {}
    for value, label in choices.choices:
        known[value.lower()] = value
        known[str(label).lower()] = value

    def parse(raw: str) -> str:
        try:
            return known[raw.lower()]
        except KeyError:
            raise CellError(f"“{raw}” is not one of: {', '.join(choices.values)}.") from None

    parse.is_text = True
    return parse


class Lookup:
    """Names of reference rows (partners, countries, substances…) to their keys, read from
    the database in one query the first time a cell needs it. ``read`` returns pairs of
    (key, names); a name shared by two rows is ambiguous."""

    def __init__(self, noun: str, read: Callable[[], Iterator[tuple[object, tuple]]], hint: str):
        self.noun, self.read, self.hint = noun, read, hint
        self.names: dict[str, object] | None = None

    def __call__(self, raw: str):
        if self.names is None:
            self.names = {}
            for key, names in self.read():
                for name in names:
                    if name:
                        name = str(name).strip().lower()
                        seen = self.names.get(name)
                        self.names[name] = key if seen in (None, key) else AMBIGUOUS
        key = self.names.get(raw.lower())
        if key is None:
            raise CellError(f"Unknown {self.noun} “{raw}”: {self.hint}.")
        if key is AMBIGUOUS:
            raise CellError(f"“{raw}” names more than one {self.noun}: {self.hint}.")
        return key


def listed(parse: Callable[[str], object]) -> Callable[[str], list]:
    """Values separated by semicolons; each one parsed, duplicates dropped."""

    def parse_list(raw: str) -> list:
        values = []
        for part in raw.split(LIST_SEPARATOR):
            part = part.strip()
            if part:
                value = parse(part)
                if value not in values:
                    values.append(value)
        return values

    return parse_list


# -- columns and kinds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], object]
    help: str
    example: str = ""
    required: bool = False  # on every line that gives its part (the record's or the row's)
    field: str | None = None  # the model field it fills; None for columns the kind handles
    blank: object = None  # the value of an empty cell: None, or "" for text

    @property
    def empty(self):
        if self.blank is None and getattr(self.parse, "is_text", False):
            return ""
        return self.blank


@dataclass
class Line:
    row: int
    values: dict = field(default_factory=dict)


@dataclass
class Record:
    key: str
    rows: list[int] = field(default_factory=list)
    own: Line | None = None  # the line giving the record's columns
    children: list[Line] = field(default_factory=list)
    existing: dict | None = None  # the stored record, when the key matches one


class ImportKind:
    """What one kind of import reads and writes. Subclasses declare the columns and the
    models, and write the parts the generic upsert does not cover (lists of links)."""

    name = ""
    label = ""
    record_model: type[models.Model]
    child_model: type[models.Model] | None = None
    child_parent_field = ""  # the child's foreign key to the record
    child_key_fields: tuple[str, ...] = ()  # with the parent, the child's unique key
    child_key_where = ""  # the condition of that key's partial unique index, if any
    existing_fields: tuple[str, ...] = ()  # what the checks read of stored records
    record_noun = "record"
    child_noun = "row"

    def __init__(self):
        self.record_columns: list[Column] = self.make_record_columns()
        self.child_columns: list[Column] = self.make_child_columns()
        self.key_column = self.record_columns[0]
        self.child_key_column = self.child_columns[0] if self.child_columns else None

    # declared by each kind
    def make_record_columns(self) -> list[Column]:
        raise NotImplementedError

    def make_child_columns(self) -> list[Column]:
        return []

    def check(self, records: list[Record], report: Report) -> None:
        """The kind's own rules across lines (besides the models' constraints)."""

    def write_links(self, cursor, records: list[Record], ids: dict[str, int], summary, user_id):
        """Write what the generic upsert does not: lists of links given in a cell."""

    @property
    def columns(self) -> list[Column]:
        return [*self.record_columns, *self.child_columns]

    def template_rows(self) -> list[list[str]]:
        """The header and an example line, for the downloadable template."""
        return [[c.name for c in self.columns], [c.example for c in self.columns]]


class Report:
    """Problems found, by row and column."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, message))

    def rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def has(self, row: int, columns) -> bool:
        """Whether ``row`` already has a problem in one of ``columns``."""
        if not hasattr(self, "_cells") or self._counted != len(self.problems):
            self._cells = {(p.row, p.column) for p in self.problems}
            self._counted = len(self.problems)
        return any((row, column) in self._cells for column in columns)

    def sorted(self) -> list[Problem]:
        return sorted(set(self.problems))


# -- read ------------------------------------------------------------------------------------


def read_table(filename: str, data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the lines of a CSV or XLSX file, every cell as stripped text."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "xlsx":
        lines = _xlsx_lines(data)
    elif suffix in ("csv", "txt"):
        lines = _csv_lines(data)
    else:
        raise ImportFileError("Upload a .csv or .xlsx file.")
    try:
        header = next(lines)
    except StopIteration:
        raise ImportFileError("The file is empty: it needs a header line.") from None
    header = [cell.strip().lower() for cell in header]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ImportFileError("The first line must name the columns.")
    return header, lines


def _csv_lines(data: bytes) -> Iterator[list[str]]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text: save it as “CSV UTF-8”.") from None
    first = content.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    for line in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter):
        yield [cell.strip() for cell in line]


def _xlsx_lines(data: bytes) -> Iterator[list[str]]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(f"Not a readable XLSX workbook ({error}).") from None

    def lines():
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield [_cell_text(value) for value in values]
        finally:
            book.close()

    return lines()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


NUMBER = re.compile(r"^-?[\d.,\s]+$")


def is_formula(raw: str) -> bool:
    """Whether a cell holds a formula (or text a spreadsheet would run as one): a value
    must be the value itself. A negative number is a number, not a formula."""
    first = raw[0]
    if first in "=+@\t\r":
        return True
    return first == "-" and not NUMBER.match(raw) and "(" in raw


FORMULA = "A formula is not accepted here: enter the value itself."


# -- parse and group -------------------------------------------------------------------------


def parse_file(
    kind: ImportKind, header: list[str], lines, report: Report, progress
) -> tuple[list[Record], int]:
    """The file's lines grouped into records, with every cell problem in ``report``."""
    known = {c.name: c for c in kind.columns}
    for position, name in enumerate(header):
        if name and name not in known:
            report.add(1, name, "Unknown column: see the template for the columns.")
        elif name in header[:position]:
            report.add(1, name, "This column appears twice.")
    for column in (kind.key_column, *[c for c in kind.columns if c.required]):
        if column.name not in header:
            report.add(1, column.name, "Missing column: the file needs it.")
    if report.problems:
        return [], 0
    positions = [(index, known[name]) for index, name in enumerate(header) if name]
    record_names = {c.name for c in kind.record_columns}
    child_names = {c.name for c in kind.child_columns}
    records: dict[str, Record] = {}
    count = 0
    for row, cells in enumerate(lines, start=2):
        if not any(cells):
            continue
        count += 1
        if count % 5000 == 0:
            progress(row)
        given: dict[str, str] = {}
        for index, column in positions:
            raw = cells[index].strip() if index < len(cells) else ""
            if raw:
                given[column.name] = raw
        values: dict[str, object] = {}
        for name, raw in given.items():
            column = known[name]
            if is_formula(raw):
                report.add(row, name, FORMULA)
                continue
            try:
                values[name] = column.parse(raw)
            except CellError as error:
                report.add(row, name, str(error))
        key = given.get(kind.key_column.name)
        if key is None:
            report.add(row, kind.key_column.name, "Missing value: every line names its record.")
            continue
        record = records.get(key)
        if record is None:
            record = records[key] = Record(key=key)
        record.rows.append(row)
        gives_record = any(name in record_names and name != kind.key_column.name for name in given)
        gives_child = any(name in child_names for name in given)
        if gives_record:
            _require(kind.record_columns, given, row, report)
            line = Line(row, _complete(kind.record_columns, values))
            if record.own is None:
                record.own = line
            else:
                _same_record(kind, record, line, given, report)
        if gives_child:
            _require(kind.child_columns, given, row, report)
            record.children.append(Line(row, _complete(kind.child_columns, values)))
    return list(records.values()), count


def _require(columns: list[Column], given: dict, row: int, report: Report) -> None:
    for column in columns:
        if column.required and column.name not in given:
            report.add(row, column.name, "Missing value: this column is required.")


def _complete(columns: list[Column], values: dict) -> dict:
    return {c.name: values.get(c.name, c.empty) for c in columns}


def _same_record(kind, record: Record, line: Line, given: dict, report: Report) -> None:
    """A second line giving the record's columns must say the same as the first."""
    for column in kind.record_columns[1:]:
        if column.name in given and line.values[column.name] != record.own.values[column.name]:
            report.add(
                line.row,
                column.name,
                f"Differs from row {record.own.row}, which already gives this "
                f"{kind.record_noun}'s {column.name}.",
            )


def check_duplicate_children(kind: ImportKind, records: list[Record], report: Report) -> None:
    key = kind.child_key_column
    for record in records:
        seen: dict[object, int] = {}
        for child in record.children:
            value = child.values.get(key.name)
            if value in (None, ""):
                continue
            if value in seen:
                report.add(
                    child.row,
                    key.name,
                    f"Duplicate key: {kind.child_noun} “{value}” of {kind.record_noun} "
                    f"“{record.key}” is already in row {seen[value]}.",
                )
            else:
                seen[value] = child.row


# -- check: the models' constraints over temporary tables ------------------------------------


class Staging:
    """A temporary table shaped like some columns of a model's table, plus the line's row
    number and the record's key; loaded with COPY, checked with the model's CHECK
    constraints, then the source of the upsert."""

    def __init__(self, cursor, name: str, model, fields: list[str], extra: dict[str, str]):
        self.cursor, self.name, self.model = cursor, name, model
        self.fields = [model._meta.get_field(f) for f in fields]
        self.columns = [f.column for f in self.fields]
        self.extra = extra
        table = model._meta.db_table
        cursor.execute(
            f"CREATE TEMP TABLE {qn(name)} ON COMMIT DROP AS SELECT "
            f"{', '.join(qn(c) for c in self.columns)} FROM {qn(table)} WITH NO DATA"
        )
        for column, sql_type in {"_row": "integer", **extra}.items():
            cursor.execute(f"ALTER TABLE {qn(name)} ADD COLUMN {qn(column)} {sql_type}")

    def load(self, rows: list[tuple]) -> None:
        names = [*self.columns, "_row", *self.extra]
        with self.cursor.cursor.copy(
            f"COPY {qn(self.name)} ({', '.join(qn(n) for n in names)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        self.cursor.execute(f"ANALYZE {qn(self.name)}")

    def violations(self, column_of_field: dict[str, str], report: Report) -> None:
        """Every line breaking one of the model's CHECK constraints (those over the columns
        held here), reported on the file's column with the constraint's own message."""
        declared = {c.name: c for c in self.model._meta.constraints}
        by_column = {f.column: f for f in self.fields}
        self.cursor.execute(
            "SELECT conname, pg_get_expr(conbin, conrelid), "
            "ARRAY(SELECT attname FROM pg_attribute a WHERE a.attrelid = c.conrelid "
            "AND a.attnum = ANY(c.conkey) ORDER BY a.attnum) "
            "FROM pg_constraint c WHERE conrelid = %s::regclass AND contype = 'c' "
            "ORDER BY conname",
            [self.model._meta.db_table],
        )
        for name, expression, columns in self.cursor.fetchall():
            if not columns or not set(columns) <= set(by_column):
                continue
            constraint = declared.get(name)
            field_name = getattr(constraint, "field", None) or by_column[columns[0]].name
            message = (
                str(constraint.violation_error_message)
                if constraint is not None and constraint.violation_error_message
                else _column_check_message(by_column[columns[0]])
            )
            if constraint is not None and "%(name)s" in message:
                message = constraint.get_violation_error_message()
            self.cursor.execute(
                f"SELECT _row FROM {qn(self.name)} WHERE ({expression}) IS FALSE ORDER BY _row"
            )
            column = column_of_field.get(field_name, field_name)
            # A cell already reported (unreadable, missing) is not reported again.
            involved = [column_of_field.get(by_column[c].name, "") for c in columns]
            for (row,) in self.cursor.fetchall():
                if not report.has(row, involved):
                    report.add(row, column, message)

    def select(self) -> str:
        return ", ".join(qn(c) for c in self.columns)

    def drop_rows(self, rows: set[int]) -> None:
        if rows:
            self.cursor.execute(f"DELETE FROM {qn(self.name)} WHERE _row = ANY(%s)", [sorted(rows)])


def _column_check_message(model_field) -> str:
    if isinstance(model_field, (models.PositiveIntegerField, models.PositiveSmallIntegerField)):
        return f"The {model_field.verbose_name} cannot be negative."
    return f"The {model_field.verbose_name} is not an accepted value."


def new_record_defaults(model, given: list[str]) -> dict[str, tuple[str, list]]:
    """SQL values for the columns of a new row that no column of the file gives: the
    model's defaults (a fresh UUID for a uuid field)."""
    defaults = {}
    for model_field in model._meta.concrete_fields:
        if (
            model_field.name in given
            or model_field.primary_key
            or model_field.null
            or model_field.generated
            or model_field.name in ("created_at", "updated_at")
        ):
            continue
        if isinstance(model_field, models.UUIDField):
            defaults[model_field.name] = ("gen_random_uuid()", [])
        elif model_field.has_default():
            defaults[model_field.name] = ("%s", [model_field.get_default()])
    return defaults


def upsert(
    cursor,
    model,
    *,
    source: str,
    fields: list[str],
    key: list[str],
    key_where: str = "",
    created: dict[str, tuple[str, list]],
    touched: dict[str, tuple[str, list]],
    params: list | None = None,
) -> tuple[int, int]:
    """INSERT the rows of ``source`` (a query giving ``fields`` in order) into ``model``'s
    table; a row whose ``key`` exists is updated only where a field differs. ``created``
    are SQL values set on new rows only, ``touched`` on new and changed rows (who and when).
    Returns (created, updated) counts."""
    meta = model._meta
    columns = [meta.get_field(f).column for f in fields]
    key_columns = [meta.get_field(f).column for f in key]
    extra = {**created, **touched}
    extra_columns = [meta.get_field(f).column for f in extra]
    extra_sql = [sql for sql, _ in extra.values()]
    extra_params = [p for _, values in extra.values() for p in values]
    assignments = [f"{qn(c)} = EXCLUDED.{qn(c)}" for c in columns]
    assignments += [f"{qn(meta.get_field(f).column)} = EXCLUDED.{qn(meta.get_field(f).column)}"
                    for f in touched]  # fmt: skip
    target = ", ".join(f"target.{qn(c)}" for c in columns)
    excluded = ", ".join(f"EXCLUDED.{qn(c)}" for c in columns)
    # The history of the written rows, recorded in the same statement, set-wise, in place of
    # the row-by-row triggers (ignored for it).
    events, triggers = events_from(model, "done", "done._inserted")
    sql = (
        f"WITH done AS (INSERT INTO {qn(meta.db_table)} AS target "
        f"({', '.join(qn(c) for c in [*columns, *extra_columns])}) "
        f"SELECT source.*, {', '.join(extra_sql)} FROM ({source}) source "
        f"ON CONFLICT ({', '.join(qn(c) for c in key_columns)}) "
        f"{'WHERE ' + key_where if key_where else ''} "
        f"DO UPDATE SET {', '.join(assignments)} "
        f"WHERE ({target}) IS DISTINCT FROM ({excluded}) "
        "RETURNING target.*, (xmax = 0) AS _inserted), "
        f"history AS ({events}) "
        "SELECT count(*) FILTER (WHERE _inserted), count(*) FILTER (WHERE NOT _inserted) "
        "FROM done"
    )
    with pgtrigger.ignore(*triggers):
        cursor.execute(sql, [*extra_params, *(params or [])])  # in the order they appear
        made, changed = cursor.fetchone()
    return made, changed


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    rows: int
    problems: list[Problem]
    summary: dict
    change_set: str | None = None


class Progress:
    """Reports the share of the work done, as a per cent, to ``report(percent, stage)``;
    at most every half second."""

    def __init__(self, report: Callable[[int, str], None] | None):
        self.report = report
        self.last = 0.0

    def __call__(self, percent: float, stage: str, *, force: bool = False) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if force or now - self.last >= 0.5:
            self.last = now
            self.report(max(0, min(100, int(percent))), stage)


def run(
    kind: ImportKind,
    *,
    filename: str,
    data: bytes,
    user,
    author_partner_id: int | None,
    skip_bad_rows: bool,
    write: bool,
    reason: str = "",
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Check the file and, when ``write`` (and it may be written in its mode), import it.
    Raises :class:`ImportFileError` for a file that cannot be read at all."""
    tick = Progress(progress)
    report = Report()
    tick(0, "Reading the file", force=True)
    header, lines = read_table(filename, data)
    total_guess = max(1, data.count(b"\n")) if not filename.lower().endswith(".xlsx") else 0
    share = 0.45 if write else 0.8

    def parsing(row):
        tick(share * 100 * row / total_guess if total_guess else 10, "Reading the rows")

    records, count = parse_file(kind, header, lines, report, parsing)
    outcome = Outcome(rows=count, problems=[], summary={})
    if report.problems and all(p.row == 1 for p in report.problems):
        outcome.problems = report.sorted()
        return outcome
    if count == 0:
        report.add(2, kind.key_column.name, "The file has no rows under its header.")
        outcome.problems = report.sorted()
        return outcome
    check_duplicate_children(kind, records, report)
    tick(share * 100, "Checking the rules", force=True)
    with transaction.atomic(), connection.cursor() as cursor:
        stage = Stage(kind, cursor, records, user, author_partner_id)
        stage.find_existing(report)
        kind.check(records, report)
        stage.load(report)
        failed = report.rows()
        outcome.problems = report.sorted()
        writable, skipped = stage.split(report)
        outcome.summary = stage.preview(writable, skipped)
        if not write or (failed and not skip_bad_rows) or not writable:
            transaction.set_rollback(True)
            tick(100, "Checked", force=True)
            return outcome
        tick(60, "Writing the records", force=True)
        with changes(
            user=user, reason=reason or f"Import of {filename}", source="import"
        ) as change_set:
            outcome.summary.update(stage.write(writable, tick))
            outcome.change_set = str(change_set.id)
        stage.close()
    tick(100, "Imported", force=True)
    return outcome


class Stage:
    """The temporary tables of one run, and the statements over them."""

    def __init__(self, kind: ImportKind, cursor, records, user, author_partner_id):
        self.kind, self.cursor, self.records = kind, cursor, records
        self.user, self.author_partner_id = user, author_partner_id
        self.record_fields = [c for c in kind.record_columns if c.field]
        self.child_fields = [c for c in kind.child_columns if c.field]

    def find_existing(self, report: Report) -> None:
        """The stored records the file's keys name (one query); a line naming a record
        that neither exists nor is given in the file is a problem."""
        model = self.kind.record_model
        key_field = self.kind.key_column.field
        wanted = [r.key for r in self.records]
        read = [f for f in ("id", key_field, *self.kind.existing_fields) if f]
        found = {
            row[key_field]: row
            for row in model.objects.filter(
                author_partner_id=self.author_partner_id, **{f"{key_field}__in": wanted}
            ).values(*read)
        }
        for record in self.records:
            record.existing = found.get(record.key)
            if record.existing is None and record.own is None:
                names = ", ".join(c.name for c in self.kind.record_columns if c.required)
                report.add(
                    record.rows[0],
                    self.kind.key_column.name,
                    f"No {self.kind.record_noun} “{record.key}” yet: give its columns "
                    f"({names}) on one of its lines.",
                )

    def load(self, report: Report) -> None:
        kind = self.kind
        self.records_table = Staging(
            self.cursor,
            "import_records",
            kind.record_model,
            [c.field for c in self.record_fields],
            {},
        )
        self.records_table.load(
            [
                (*[r.own.values[c.name] for c in self.record_fields], r.own.row)
                for r in self.records
                if r.own is not None
            ]
        )
        self.records_table.violations({c.field: c.name for c in self.record_fields}, report)
        if kind.child_model is None:
            return
        self.children_table = Staging(
            self.cursor,
            "import_children",
            kind.child_model,
            [c.field for c in self.child_fields],
            {"_key": "text"},
        )
        self.children_table.load(
            [
                (*[child.values[c.name] for c in self.child_fields], child.row, r.key)
                for r in self.records
                for child in r.children
            ]
        )
        self.children_table.violations({c.field: c.name for c in self.child_fields}, report)

    def close(self) -> None:
        self.cursor.execute("DROP TABLE IF EXISTS import_records, import_children")

    def split(self, report: Report) -> tuple[list[Record], list[int]]:
        """The records and rows that may be written, and the rows skipped: a record with a
        problem in its own columns is skipped whole; a bad row alone. The staging tables
        keep only what may be written."""
        record_names = {c.name for c in self.kind.record_columns}
        record_rows = {p.row for p in report.problems if p.column in record_names}
        child_rows = {p.row for p in report.problems if p.column not in record_names}
        keyless = {p.row for p in report.problems if p.column == self.kind.key_column.name}
        writable, skipped, dropped_own, dropped_children = [], set(keyless), set(), set()
        for record in self.records:
            if (record.existing is None and record.own is None) or record_rows & set(record.rows):
                skipped.update(record.rows)
                if record.own is not None:
                    dropped_own.add(record.own.row)
                dropped_children.update(c.row for c in record.children)
                continue
            good = [c for c in record.children if c.row not in child_rows]
            bad = {c.row for c in record.children} - {c.row for c in good}
            skipped |= bad
            dropped_children |= bad
            writable.append(Record(record.key, record.rows, record.own, good, record.existing))
        self.records_table.drop_rows(dropped_own)
        if self.kind.child_model is not None:
            self.children_table.drop_rows(dropped_children)
        return writable, sorted(skipped)

    def preview(self, writable: list[Record], skipped: list[int]) -> dict:
        new = sum(1 for r in writable if r.existing is None)
        return {
            "records": len(writable),
            "new_records": new,
            "matched_records": len(writable) - new,
            "rows": sum(len(r.children) for r in writable),
            "skipped_rows": skipped,
        }

    def write(self, writable: list[Record], tick) -> dict:
        kind, cursor = self.kind, self.cursor
        now = ("clock_timestamp()", [])
        by = ("%s", [self.user.pk if self.user is not None else None])
        fields = [c.field for c in self.record_fields]
        key_column = qn(kind.record_model._meta.get_field(kind.key_column.field).column)
        defaults = new_record_defaults(kind.record_model, [*fields, "author_partner"])
        made, changed = upsert(
            cursor,
            kind.record_model,
            source=f"SELECT {self.records_table.select()}, %s::bigint FROM import_records",
            fields=[*fields, "author_partner"],
            key=["author_partner", kind.key_column.field],
            key_where=f"{key_column} <> ''",
            created={"created_at": now, "created_by": by, **defaults},
            touched={"updated_at": now, "updated_by": by},
            params=[self.author_partner_id],
        )
        summary = {"records_created": made, "records_updated": changed}
        tick(70, f"Wrote the {kind.record_noun}s", force=True)
        cursor.execute(
            f"SELECT {qn(kind.key_column.field)}, id FROM {qn(kind.record_model._meta.db_table)} "
            "WHERE author_partner_id IS NOT DISTINCT FROM %s "
            f"AND {qn(kind.key_column.field)} = ANY(%s)",
            [self.author_partner_id, [r.key for r in writable]],
        )
        ids = dict(cursor.fetchall())
        kind.write_links(cursor, writable, ids, summary, by[1][0])
        tick(80, "Wrote the links", force=True)
        if kind.child_model is not None:
            cursor.execute("ALTER TABLE import_children ADD COLUMN _parent bigint")
            cursor.execute(
                "UPDATE import_children c SET _parent = r.id "
                f"FROM {qn(kind.record_model._meta.db_table)} r "
                f"WHERE r.{qn(kind.key_column.field)} = c._key "
                "AND r.author_partner_id IS NOT DISTINCT FROM %s",
                [self.author_partner_id],
            )
            made, changed = upsert(
                cursor,
                kind.child_model,
                source=f"SELECT {self.children_table.select()}, _parent FROM import_children",
                fields=[*[c.field for c in self.child_fields], kind.child_parent_field],
                key=[kind.child_parent_field, *kind.child_key_fields],
                key_where=kind.child_key_where,
                created={"created_at": now, "created_by": by},
                touched={"updated_at": now, "updated_by": by},
            )
            summary.update(rows_created=made, rows_updated=changed)
        return summary
