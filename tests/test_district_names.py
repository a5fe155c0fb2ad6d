"""What a district calls its measures and student groups: the optional [[measures]] and [groups] tables of
the district file, checked like the rest of it (each fault named by file, line and key path), and the
on-the-move measures the district file need not list."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.district.model import DistrictDataError, load_district
from tests.test_data_answers import MEASURES, TOML, write_district


def faults(tmp_path: Path, measures: str) -> list[str]:
    """The problems a load reports, each without the district file's path."""
    path = write_district(tmp_path / "d", measures=measures) / "district" / "district.toml"
    with pytest.raises(DistrictDataError) as caught:
        load_district(path)
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def line(text: str, needle: str, occurrence: int = 1) -> int:
    """The number of the line holding the `occurrence`-th `needle` (the test's own way to count)."""
    return [n for n, row in enumerate(text.split("\n"), 1) if needle in row][occurrence - 1]


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ('grade = "3"', 'grade = "13"', '"13"', 'measures[0].grade: \'13\' is not a grade: "K" or "1" to "12"'),
        ('grade = "3"', 'grade = "third"', '"third"', 'measures[0].grade: \'third\' is not a grade: "K" or "1" to "12"'),
        ("higher_is_better = false", 'higher_is_better = false\nunit = "%"', "unit", "measures[3].unit: unknown key "
         "'unit' (known: key, name, grade, subject, aliases, higher_is_better)"),
        ('key = "mth8"', 'key = "ela3"', ('key = "ela3"', 2), "measures[1].key: 'ela3' is described twice (first "
         "in measures[0])"),
        ('key = "cohort_grad"', 'key = "grad_rate"', "grad_rate", "measures[2].key: 'grad_rate' has no rows in "
         "results.csv"),
        ('name = "Chronic absenteeism"\n', "", ("[[measures]]", 4), "measures[3].name: missing"),
        ('eb = "Emergent bilingual students"', 'eb = "Emergent bilingual students"\nell = "English learners"',
         "ell =", "groups.ell: 'ell' has no rows in results.csv (its group column)"),
        ('eb = "Emergent bilingual students"', 'EB = "Emergent bilingual students"', "EB =",
         "groups.EB: 'EB' must be lower-case letters, digits and _"),
        ('eb = "Emergent bilingual students"', 'all = "Everyone"', "all =",
         "groups.all: 'all' is every student, not a group: leave it out"),
    ],
)  # fmt: skip
def test_a_fault_in_measures_or_groups_is_named_by_file_line_and_key_path(
    tmp_path, old, new, needle, expected
):
    assert old in MEASURES
    measures = MEASURES.replace(old, new, 1)
    needle, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    at = line(TOML.format(measures=measures), needle, occurrence)
    assert faults(tmp_path, measures) == [f"line {at}: {expected}"]


def test_the_tables_are_optional_and_a_grade_may_be_written_as_a_number(tmp_path):
    plain = load_district(write_district(tmp_path / "a", measures="") / "district" / "district.toml").config
    assert plain.measures == () and plain.groups == {}
    described = load_district(write_district(tmp_path / "b") / "district" / "district.toml").config
    assert [(m.key, m.grade) for m in described.measures][:2] == [("ela3", "3"), ("mth8", "8")]
    assert described.groups == {"eb": "Emergent bilingual students"}
    assert [m.higher_is_better for m in described.measures] == [True, True, True, False, True, True]


def test_the_on_the_move_measures_default_to_every_measure_with_a_grade(tmp_path):
    # from [[measures]], or without it from the targets' labels (the two measures no label names have no grade
    # then); never the graduation rate or chronic absenteeism
    for folder, measures, graded in (
        ("a", MEASURES, ["ela3", "ela8", "mth3", "mth8"]),
        ("b", "", ["ela3", "mth8"]),
    ):
        path = write_district(tmp_path / folder, measures=measures) / "district" / "district.toml"
        assert sorted(load_district(path).config.on_the_move_measures) == graded
