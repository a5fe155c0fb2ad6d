"""Intervention notes as the Ed-Fi API's `interventions` and `studentInterventionAssociations` (Data
Standard 5.x): what `resolute notes export --format edfi` writes for the district's data staff to load.

Only identifiers, one date and descriptors leave Resolute. A note's text, author and follow-up are never
exported: free text about a child stays here, and so does who wrote it. Each exported document carries:

- an intervention per education organization and note type: `resolute-<school_id>-<type>` at the school's
  Ed-Fi id (`edfi_id` in schools.csv), or `resolute-district-<type>` at the district's
  (`education_organization_id` in [notes.edfi]) for a note without a school or of a school without an Ed-Fi
  id; its class descriptor is the type's code value in `type_map`, its delivery method `delivery_method`,
  and its beginDate the day (on the district's clock) of its earliest exported note;
- a student's association with each intervention they have a note of: the student reference as written.

A note that cannot be exported (no student reference, a type missing from `type_map`, a reference Ed-Fi's
studentUniqueId cannot hold) is listed with the reason, and the others are written. Every document is
checked against the Ed-Fi JSON Schemas kept beside this module (SOURCE.md says where they come from)
before anything is written; the two files are replaced whole, never left half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from bot.district.config import EdfiTable
    from bot.district.model import School
    from bot.notes.model import Filters, Note
    from bot.notes.session import Session

INTERVENTIONS = "interventions"
ASSOCIATIONS = "studentInterventionAssociations"
MAX_CODE = 60  # interventionIdentificationCode
MAX_STUDENT = 32  # studentUniqueId
MAX_NAMESPACE = 255  # a descriptor's namespace, before "#<codeValue>"
DISTRICT = "district"  # what an intervention code says in place of a school id at the district's own id
LINE_BREAKS = "\n\r\u2028\u2029"  # what the schemas' patterns ("." in ^(?!\s)(.*\S)$) do not match

EXAMPLE = """\
[notes.edfi]
education_organization_id = 255901     # the district's Ed-Fi id (its local education agency)
# each note type's InterventionClassDescriptor code value: Curriculum, Other, Practice or Supplement
type_map = {{ {types} }}
delivery_method = "Individual"         # DeliveryMethodDescriptor code value (the default)
namespace = "uri://ed-fi.org"          # whose descriptors: Ed-Fi's (the default) or the state's"""


class EdfiProblem(Exception):
    """The export cannot be made as asked: says what to fix. Nothing was written."""


@dataclass
class Export:
    """The documents of one export, each list sorted, and the notes left out with why."""

    interventions: list[dict] = field(default_factory=list)
    associations: list[dict] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (note id, why)
    notes: int = 0  # how many notes matched


def not_set_up(types: Iterable[str]) -> EdfiProblem:
    """The message when the district file has no [notes.edfi] table: what to add."""
    shown = ", ".join(f'{t} = "Supplement"' for t in list(types)[:3])
    return EdfiProblem(
        "The Ed-Fi export is not set up: the district file has no [notes.edfi] table. Add one under "
        "[notes], for example:\n\n"
        + EXAMPLE.format(types=shown)
        + "\n\nand run `resolute data load`. A school's own Ed-Fi id goes in an edfi_id column of "
        "schools.csv; notes of a school without one are the district's. Nothing was written."
    )


# -- building --------------------------------------------------------------------------------------
def edfi_documents(notes: Iterable[Note], *, edfi: EdfiTable, schools: dict[str, School],
                   timezone: str) -> Export:  # fmt: skip
    """The Ed-Fi documents of `notes` (never their text, author or follow-up); EdfiProblem when the
    district's Ed-Fi settings cannot make valid documents (two schools with one Ed-Fi id, a namespace too
    long for a descriptor)."""
    _check(edfi, schools)
    zone = ZoneInfo(timezone)
    class_uri = f"{edfi.namespace}/InterventionClassDescriptor#"
    delivery = f"{edfi.namespace}/DeliveryMethodDescriptor#{edfi.delivery_method}"
    begins: dict[tuple[int, str], date] = {}  # (education organization, type) -> earliest day
    labels: dict[tuple[int, str], str] = {}
    students: set[tuple[int, str, str]] = set()  # (education organization, type, studentUniqueId)
    export = Export()
    for note in notes:
        export.notes += 1
        why = _unexportable(note, edfi)
        if why:
            export.skipped.append((note.id, why))
            continue
        school = schools.get(note.school) if note.school is not None else None
        if school is not None and school.edfi_id is not None:
            key, label = (school.edfi_id, note.type), school.school_id
        else:
            key, label = (edfi.education_organization_id, note.type), DISTRICT
        day = note.created_at.astimezone(zone).date()
        if key not in begins or day < begins[key]:
            begins[key] = day
        labels[key] = label
        students.add((*key, note.student))
    codes = {key: intervention_code(labels[key], key[1]) for key in begins}
    export.interventions = [
        {
            "interventionIdentificationCode": codes[key],
            "educationOrganizationReference": {"educationOrganizationId": key[0]},
            "interventionClassDescriptor": class_uri + edfi.type_map[key[1]],
            "deliveryMethodDescriptor": delivery,
            "beginDate": begins[key].isoformat(),
        }
        for key in sorted(begins, key=lambda k: (k[0], codes[k]))
    ]
    export.associations = [
        {
            "studentReference": {"studentUniqueId": student},
            "interventionReference": {"educationOrganizationId": org, "interventionIdentificationCode": code},
        }
        for org, code, student in sorted(
            (org, codes[org, type_], student) for org, type_, student in students
        )
    ]
    export.skipped.sort()
    return export


def intervention_code(label: str, type_: str) -> str:
    """`resolute-<school_id or "district">-<type>`; longer than Ed-Fi's 60 characters, its start and a hash
    of the whole (the same every time, and different for different schools and types)."""
    code = f"resolute-{label}-{type_}"
    if len(code) <= MAX_CODE:
        return code
    digest = hashlib.sha256(code.encode()).hexdigest()[:10]
    return f"{code[: MAX_CODE - len(digest) - 1].rstrip()}-{digest}"


def _unexportable(note: Note, edfi: EdfiTable) -> str | None:
    """Why `note` cannot be exported, or None."""
    student = note.student
    if not student:
        return "no student reference"
    if note.type not in edfi.type_map:
        return f"type '{note.type}' has no Ed-Fi class in [notes.edfi] type_map"
    if len(student) > MAX_STUDENT:
        return (
            f"the student reference is {len(student)} characters; Ed-Fi's studentUniqueId holds {MAX_STUDENT}"
        )
    if student != student.strip():
        return (
            "the student reference starts or ends with a space, which Ed-Fi's studentUniqueId does not allow"
        )
    if any(ch in LINE_BREAKS for ch in student):
        return "the student reference has a line break, which Ed-Fi's studentUniqueId does not allow"
    return None


def _check(edfi: EdfiTable, schools: dict[str, School]) -> None:
    """EdfiProblem for settings that would make documents Ed-Fi refuses, or that collide."""
    problems = []
    suffix = "/InterventionClassDescriptor"  # the longer of the two descriptors' namespaces
    if len(edfi.namespace + suffix) > MAX_NAMESPACE:
        problems.append(
            f"[notes.edfi] namespace is {len(edfi.namespace)} characters: with '{suffix}' it must fit in "
            f"Ed-Fi's {MAX_NAMESPACE}, so keep it to {MAX_NAMESPACE - len(suffix)}"
        )
    owners: dict[int, list[str]] = {
        edfi.education_organization_id: ["[notes.edfi] education_organization_id"]
    }
    for school in sorted(schools.values(), key=lambda s: s.school_id):
        if school.edfi_id is not None:
            owners.setdefault(school.edfi_id, []).append(f"school {school.school_id}")
    problems += [
        f"Ed-Fi id {edfi_id} is given to {' and '.join(who)}; each has its own"
        for edfi_id, who in owners.items()
        if len(who) > 1
    ]
    if problems:
        raise EdfiProblem("\n".join([*problems, "Fix the district files and run `resolute data load`."]))


# -- checking --------------------------------------------------------------------------------------
@cache
def validators() -> dict[str, Draft202012Validator]:
    """The two resources' validators, built once, checking formats too (beginDate is a date)."""
    built = {}
    for name in (INTERVENTIONS, ASSOCIATIONS):
        schema = json.loads(Path(__file__).with_name(f"{name}.schema.json").read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        built[name] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return built


def validate(export: Export) -> list[str]:
    """Every way a document breaks its schema, one line each, naming the document by its key; [] when
    every one is valid."""
    checks = validators()
    problems = []
    for name, docs, key in ((INTERVENTIONS, export.interventions, _intervention_key),
                            (ASSOCIATIONS, export.associations, _association_key)):  # fmt: skip
        for doc in docs:
            for error in checks[name].iter_errors(doc):
                problems.append(f"{name} {key(doc)}: {error.message} (at {error.json_path})")
    return problems


def _intervention_key(doc: dict) -> str:
    org = doc.get("educationOrganizationReference", {}).get("educationOrganizationId")
    return f"{org}/{doc.get('interventionIdentificationCode')}"


def _association_key(doc: dict) -> str:
    ref = doc.get("interventionReference", {})
    student = doc.get("studentReference", {}).get("studentUniqueId")
    return f"{ref.get('educationOrganizationId')}/{ref.get('interventionIdentificationCode')}/{student}"


# -- writing ---------------------------------------------------------------------------------------
def write(export: Export, out: Path) -> None:
    """interventions.json and studentInterventionAssociations.json in `out` (made if need be): each a JSON
    array, UTF-8, indented 2. Both are written to temporary files in `out` first and then put in place, so
    a failure leaves any earlier export as it was and no half-written file."""
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, docs in ((INTERVENTIONS, export.interventions), (ASSOCIATIONS, export.associations)):
            handle, temp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            staged.append((name, Path(temp)))
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(docs, f, indent=2, ensure_ascii=False)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
        for name, temp in staged:
            os.replace(temp, out / f"{name}.json")
    finally:
        for _, temp in staged:
            temp.unlink(missing_ok=True)


def export_notes(session: Session, filters: Filters, *, now: datetime, out: Path) -> Export:
    """What `resolute notes export --format edfi` does: read the matching notes (audited as an "edfi"
    export), build their documents, check every one, and write them to `out`. EdfiProblem, with nothing
    written, when [notes.edfi] is missing, the settings cannot make valid documents, or a document breaks
    its schema. When notes matched but none could be exported, nothing is written either."""
    config, notes_config = session.notes.settings()
    edfi = notes_config.edfi
    if edfi is None:
        raise not_set_up(notes_config.types)
    schools = session.notes.district.store.schools()
    _check(edfi, schools)  # before the notes are read: a refused export reads nothing
    found = session.exported(filters, now=now, how="edfi")
    export = edfi_documents(found, edfi=edfi, schools=schools, timezone=config.timezone)
    problems = validate(export)
    if problems:
        fault = ("These documents break the Ed-Fi schema, which is a fault in Resolute's export: nothing "
                 "was written. Please report it with the lines above.")  # fmt: skip
        raise EdfiProblem("\n".join([*problems, fault]))
    if export.interventions or not export.skipped:
        write(export, out)
    return export
