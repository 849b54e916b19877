"""Bad input ends in one clear line on stderr, exit status 2, no traceback, no output.

Runs the installed ``metastasim`` console script in a subprocess over the broken
model files in ``tests/data/bad`` (see its README) and over bad command-line values.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
METASTASIM = Path(sys.executable).parent / "metastasim"
MODEL_SUFFIXES = {".bnet", ".bnd", ".yaml", ".sbml"}
PREFIX = "metastasim: error: "


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the console script; never raises on a non-zero exit."""
    return subprocess.run([str(METASTASIM), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def error_line(proc: subprocess.CompletedProcess) -> str:
    """The single error line, after checking the common contract (exit 2, one line, prefix, no traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, f"exit status {proc.returncode}; stderr: {proc.stderr!r}"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected one non-empty line on stderr, got {proc.stderr!r}"
    assert lines[0].startswith(PREFIX), lines[0]
    return lines[0]


def assert_mentions(line: str, keywords: tuple[str | tuple[str, ...], ...]) -> None:
    """Each keyword (or one of a tuple of alternatives) appears in ``line``, ignoring case."""
    low = line.lower()
    for want in keywords:
        options = (want,) if isinstance(want, str) else want
        assert any(o.lower() in low for o in options), f"none of {options} in {line!r}"


def assert_located(line: str, name: str, lineno: int | None) -> None:
    """``line`` names the file ``name`` and, when given, the line as ``name:LINE:`` (or ``name:LINE:COL:``)."""
    assert name in line, f"{name!r} not named in {line!r}"
    if lineno is not None:
        assert re.search(rf"{re.escape(name)}:{lineno}(:\d+)?: ", line), f"line {lineno} of {name} not in {line!r}"


# ---------------------------------------------------------------------------
# broken model files
# ---------------------------------------------------------------------------

# file -> (file the error must name, line it must name or None, key words)
NEGATIVE = ("negative", "non-negative")
CASES: dict[str, tuple[str, int | None, tuple]] = {
    "bnet_unbalanced_paren.bnet": ("bnet_unbalanced_paren.bnet", 3, (("unclosed", "unbalanced", "'('"),)),
    "bnet_missing_comma.bnet": ("bnet_missing_comma.bnet", 3, ("comma",)),
    "bnet_invalid_name.bnet": ("bnet_invalid_name.bnet", 3, ("invalid", "4EBP1")),
    "bnet_duplicate_node.bnet": ("bnet_duplicate_node.bnet", 5, ("defined twice", "'B'")),
    "bnd_missing_semicolon.bnd": ("bnd_missing_semicolon.bnd", 8, ("';'",)),
    "bnd_missing_semicolon_before_brace.bnd": ("bnd_missing_semicolon_before_brace.bnd", 7, ("';'", "rate_up")),
    "bnd_missing_brace.bnd": ("bnd_missing_brace.bnd", 7, ("'}'",)),
    "bnd_undefined_name.bnd": ("bnd_undefined_name.bnd", 6, ("Ghost", ("never defined", "not defined"))),
    "bnd_duplicate_node.bnd": ("bnd_duplicate_node.bnd", 9, ("defined twice", "'A'")),
    "bnd_max_rate.bnd": ("bnd_max_rate.bnd", 8, ("max_rate", "not supported")),
    "bnd_negative_rate.bnd": ("bnd_negative_rate.cfg", 2, ("rate_up", "$u_A = -1", NEGATIVE)),
    "bnd_nan_rate.bnd": ("bnd_nan_rate.cfg", 2, ("rate_up", "nan", "finite")),
    "bnd_unknown_function.bnd": ("bnd_unknown_function.bnd", 4, ("unknown function 'lg'", "log")),
    "bnd_function_arguments.bnd": ("bnd_function_arguments.bnd", 3, ("log()", "1 or 2 arguments", "not 3")),
    "bnd_log_negative.bnd": ("bnd_log_negative.bnd", 4, ("rate_up", "nan", "finite")),
    "cfg_istate_out_of_range.bnd": ("cfg_istate_out_of_range.cfg", 3, ("1.5", "[0, 1]")),
    "cfg_unknown_node.bnd": ("cfg_unknown_node.cfg", 3, ("unknown node", "'Z'")),
    "cfg_schedule_decreasing.bnd": ("cfg_schedule_decreasing.cfg", 3, ("schedule", "increase")),
    "cfg_schedule_out_of_range.bnd": ("cfg_schedule_out_of_range.cfg", 3, ("schedule", "1.5", "[0, 1]")),
    "cfg_schedule_unknown_node.bnd": ("cfg_schedule_unknown_node.cfg", 3, ("unknown node", "'Z'")),
    "cfg_nan_sample_count.bnd": ("cfg_nan_sample_count.cfg", 3, ("sample_count",)),
    "cfg_nan_istate.bnd": ("cfg_nan_istate.cfg", 2, (("nan", "finite"),)),
    "yaml_syntax_error.yaml": ("yaml_syntax_error.yaml", 7, ("YAML syntax",)),
    "yaml_duplicate_node.yaml": ("yaml_duplicate_node.yaml", 7, ("'B'", ("twice", "defined twice"))),
    "yaml_undefined_name.yaml": ("yaml_undefined_name.yaml", 6, ("Ghost", ("never defined", "not defined"))),
    "yaml_negative_rate.yaml": ("yaml_negative_rate.yaml", 7, ("rate_up", ("at least 0",) + NEGATIVE)),
    "yaml_initial_out_of_range.yaml": ("yaml_initial_out_of_range.yaml", 5, ("initial", "[0, 1]", "1.5")),
    "yaml_nan_rate.yaml": ("yaml_nan_rate.yaml", 7, ("rate_up", "nan", "finite")),
    "yaml_unknown_field.yaml": ("yaml_unknown_field.yaml", 6, ("unknown field", "'rul'", "'rule'")),
    "yaml_range_low_above_high.yaml": ("yaml_range_low_above_high.yaml", 5, ("range", "fast", "low 8", "above")),
    "yaml_range_negative.yaml": ("yaml_range_negative.yaml", 5, ("range", "fast", "positive", "[-1, 8]")),
    "sbml_truncated.sbml": ("sbml_truncated.sbml", 30, ("SBML",)),
    "sbml_undefined_threshold.sbml": ("sbml_undefined_threshold.sbml", 48, ("'theta_nowhere'", "inputs")),
    "sbml_multivalued.sbml": ("sbml_multivalued.sbml", 9, ("maxLevel", "B")),
    "empty.bnet": ("empty.bnet", None, ("empty",)),
    "empty.bnd": ("empty.bnd", None, (("empty", "no nodes"),)),
    "empty.yaml": ("empty.yaml", None, ("empty",)),
    "empty.sbml": ("empty.sbml", None, ("empty",)),
    "binary.bnet": ("binary.bnet", 3, ("binary",)),
    "not_utf8.bnet": ("not_utf8.bnet", 3, ("UTF-8",)),
}


def test_every_bad_model_file_has_a_case():
    files = {p.name for p in BAD.iterdir() if p.suffix in MODEL_SUFFIXES}
    assert files == set(CASES)


def test_every_cfg_has_its_bnd():
    for cfg in BAD.glob("*.cfg"):
        assert cfg.with_suffix(".bnd").is_file(), cfg


def test_readme_lists_every_file():
    readme = (BAD / "README.md").read_text()
    for name in CASES:
        assert name in readme, name


@pytest.mark.parametrize("name", sorted(CASES))
def test_simulate_rejects(name, tmp_path):
    named, lineno, keywords = CASES[name]
    out = tmp_path / "out"
    line = error_line(run("simulate", BAD / name, "--samples", "10", "--out", out))
    assert_located(line, named, lineno)
    assert_mentions(line, keywords)
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_convert_rejects(name, tmp_path):
    named, lineno, keywords = CASES[name]
    line = error_line(run("convert", BAD / name, tmp_path / "out.bnet"))
    assert_located(line, named, lineno)
    assert_mentions(line, keywords)
    assert list(tmp_path.iterdir()) == []


def test_explicit_cfg_is_named(tmp_path):
    """--cfg FILE: the error names that file and its line."""
    model = tmp_path / "model.bnd"
    model.write_text((BAD / "cfg_unknown_node.bnd").read_text())
    line = error_line(run("simulate", model, "--cfg", BAD / "cfg_unknown_node.cfg", "--samples", "10"))
    assert_located(line, "cfg_unknown_node.cfg", 3)


def test_cfg_for_a_bnet_model_is_named(tmp_path):
    """--cfg with a bnet model: an unknown node names the .cfg and its line; nothing is written."""
    model = tmp_path / "model.bnet"
    model.write_text("A, A\nB, A\n")
    (tmp_path / "a.cfg").write_text("A.istate = 1;\n")
    (tmp_path / "b.cfg").write_text("max_time = 2;\n\nZ.istate = 1;\n")
    out = tmp_path / "out"
    line = error_line(run("simulate", model, "--cfg", tmp_path / "a.cfg", "--cfg", tmp_path / "b.cfg", "--out", out))
    assert_located(line, "b.cfg", 3)
    assert_mentions(line, ("unknown node", "'Z'"))
    assert not out.exists()


def test_partial_output_is_not_left_behind(tmp_path):
    """A write that fails half-way (result.json is taken by a folder) leaves none of the new files."""
    out = tmp_path / "out"
    (out / "result.json").mkdir(parents=True)
    line = error_line(run("simulate", "cohen2015", "--samples", "10", "--out", out))
    assert "result.json" in line
    assert sorted(p.name for p in out.iterdir()) == ["result.json"]


# broken cascade files (tests/data/bad/cascade): file -> (line, key words); the reader's other checks of
# ranges are in tests/io/test_yaml_ranges.py (in process: each run of the console script costs a second or two)
CASCADE_CASES: dict[str, tuple[int, tuple]] = {
    "range_above_one.yaml": (9, ("range", "constant top", "[0, 1]", "1.2")),
}


def test_every_bad_cascade_file_has_a_case():
    assert {p.name for p in (BAD / "cascade").iterdir()} == set(CASCADE_CASES)
    readme = (BAD / "README.md").read_text()
    assert all(f"cascade/{name}" in readme for name in CASCADE_CASES)


@pytest.mark.parametrize("name", sorted(CASCADE_CASES))
def test_cascade_rejects(name, tmp_path):
    lineno, keywords = CASCADE_CASES[name]
    out = tmp_path / "out"
    line = error_line(run("cascade", "--cascade", BAD / "cascade" / name, "--cells", "10", "--out", out))
    assert_located(line, name, lineno)
    assert_mentions(line, keywords)
    assert not out.exists()


# ---------------------------------------------------------------------------
# bad command-line values
# ---------------------------------------------------------------------------

# id -> (arguments, key words)
CLI_CASES: dict[str, tuple[tuple[str, ...], tuple]] = {
    "ko-unknown-node": (("simulate", "cohen2015", "--ko", "Nope"), ("unknown node", "Nope")),
    "oe-unknown-node": (("simulate", "cohen2015", "--oe", "Nope"), ("unknown node", "Nope")),
    "inhibit-unknown-node": (("simulate", "cohen2015", "--inhibit", "Nope=0.5"), ("unknown node", "Nope")),
    "inhibit-above-1": (("simulate", "cohen2015", "--inhibit", "p53=1.5"), ("p53", "[0, 1]")),
    "inhibit-nan": (("simulate", "cohen2015", "--inhibit", "p53=nan"), ("p53", "[0, 1]")),
    "inhibit-not-a-number": (("simulate", "cohen2015", "--inhibit", "p53=abc"), ("'abc'", "not a number")),
    "inhibit-no-value": (("simulate", "cohen2015", "--inhibit", "p53"), ("NODE=VALUE",)),
    "set-non-input": (("simulate", "cohen2015", "--set", "p53=1"), ("p53", "not an input")),
    "set-not-0-or-1": (("simulate", "cohen2015", "--set", "ECMicroenv=2"), ("ECMicroenv", "0 or 1")),
    "ko-and-oe-same-node": (("simulate", "cohen2015", "--ko", "p53", "--oe", "p53"), ("conflicting", "p53")),
    "max-time-nan": (("simulate", "cohen2015", "--max-time", "nan"), (("max_time", "--max-time"), "nan")),
    "max-time-inf": (("simulate", "cohen2015", "--max-time", "inf"), (("max_time", "--max-time"), "finite")),
    "max-time-negative": (("simulate", "cohen2015", "--max-time", "-1"), (("max_time", "--max-time"), "positive")),
    "samples-0": (("simulate", "cohen2015", "--samples", "0"), ("--samples",)),
    "time-tick-0": (("simulate", "cohen2015", "--time-tick", "0"), (("time_tick", "--time-tick"), "positive")),
    "too-many-windows": (("simulate", "cohen2015", "--time-tick", "1e-9"), ("time_tick", "windows")),
    "seed-negative": (("simulate", "cohen2015", "--seed", "-1"), ("--seed",)),
    "samples-not-int": (("simulate", "cohen2015", "--samples", "ten"), ("--samples", "ten")),
    "unknown-option": (("simulate", "cohen2015", "--bogus"), ("--bogus",)),
    "unknown-command": (("frobnicate",), ("frobnicate",)),
    "missing-argument": (("simulate",), ("MODEL",)),
    "missing-file": (("simulate", "no_such_model.bnet"), ("no_such_model.bnet", "no such file")),
    "unknown-bundled-name": (("simulate", "cohen2016"), ("cohen2016", "no such file", "cohen2015")),
    "cfg-with-bundled-model": (("simulate", "cohen2015", "--cfg", "x.cfg"), ("--cfg", "cohen2015")),
    "attractors-unknown-node": (("attractors", "cohen2015", "--ko", "Nope"), ("unknown node", "Nope")),
    "convert-unknown-target-suffix": (("convert", "cohen2015", "out.txt"), ("'.txt'", "out.txt")),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_command_line(case, tmp_path):
    args, keywords = CLI_CASES[case]
    line = error_line(run(*args, cwd=tmp_path))
    assert_mentions(line, keywords)
    assert list(tmp_path.iterdir()) == []


def test_unknown_model_suffix(tmp_path):
    model = tmp_path / "model.txt"
    model.write_text("A, A\n")
    line = error_line(run("simulate", model, "--out", tmp_path / "out"))
    assert_mentions(line, ("model.txt", "'.txt'", "suffix"))
    assert not (tmp_path / "out").exists()


def test_out_is_an_existing_file(tmp_path):
    out = tmp_path / "out"
    out.write_text("keep me")
    line = error_line(run("simulate", "cohen2015", "--samples", "10", "--out", out))
    assert_mentions(line, ("--out",))
    assert out.read_text() == "keep me"


def test_model_is_a_directory(tmp_path):
    folder = tmp_path / "model.bnet"
    folder.mkdir()
    line = error_line(run("simulate", folder))
    assert_mentions(line, ("model.bnet", "directory"))
