"""Project settings: ``[tool.dagfactory]`` in pyproject.toml, or a ``dagfactory.toml``.

The file is looked up from the current folder upward, as ruff does: in each
folder ``dagfactory.toml`` wins over ``pyproject.toml``, and a pyproject.toml
without a ``[tool.dagfactory]`` table is passed over. Paths in the file are
relative to the file's folder, so the commands work from any subfolder. Every
CLI option overrides the file. A bad file is reported at its own line.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagfactory.diagnostics import Diagnostic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT, OWN_FILE = "pyproject.toml", "dagfactory.toml"
AIRFLOW_TARGETS = ("3", "2")  # the profiles in dagfactory.targets
_TABLE_HEADER = re.compile(r"^\s*\[\s*tool\s*\.\s*dagfactory\s*\]", re.M)


@dataclass(frozen=True)
class Config:
    specs: Path = Path("specs")
    out: Path = Path("generated_dags")
    airflow: str = "3"  # the Airflow major the output targets: "3" or "2" (see dagfactory.targets)
    require_business_owner_email: bool = False
    require_lineage: bool = False
    warnings_as_errors: bool = False
    source: Path | None = None  # the file these settings came from, if any
    # folders besides the specs folder that files a spec refers to (.sql, _defaults.yaml) may be in
    include_roots: tuple[Path, ...] = ()


_KEYS: dict[str, type] = {
    "specs": str,
    "out": str,
    "airflow": str,
    "require_business_owner_email": bool,
    "require_lineage": bool,
    "warnings_as_errors": bool,
    "include_roots": list,
}


class ConfigError(Exception):
    """A configuration file that cannot be used; carries one diagnostic per problem."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(d.format_text() for d in diagnostics))
        self.diagnostics = diagnostics


def find_config_file(start: Path) -> Path | None:
    """The nearest dagfactory.toml, or pyproject.toml with a [tool.dagfactory] table, from ``start`` up."""
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / OWN_FILE).is_file():
            return folder / OWN_FILE
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_our_table(pyproject):
            return pyproject
    return None


def _has_our_table(pyproject: Path) -> bool:
    # A cheap text test first; an unreadable pyproject.toml is then reported by load_config.
    try:
        text = _read_bytes(pyproject).decode("utf-8", errors="replace")
    except OSError:
        return True
    dotted_key = re.search(r"^\s*tool\s*\.\s*dagfactory\s*[.=]", text, re.M)
    return _TABLE_HEADER.search(text) is not None or dotted_key is not None


def discover_config(start: Path) -> Config:
    path = find_config_file(start)
    return load_config(path) if path else Config()


def load_config(path: Path) -> Config:
    """Read settings from ``path`` (a dagfactory.toml or a pyproject.toml); raise ConfigError if bad."""
    display = display_name(path)
    try:
        text = _read_bytes(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        message, hint = (
            f"cannot read the configuration: {exc}",
            "make it a readable UTF-8 text file, or point --config elsewhere",
        )
        raise ConfigError([Diagnostic(display, 1, 1, "DF601", message, hint=hint)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_error(display, exc)]) from None
    is_pyproject = path.name == PYPROJECT
    table = data.get("tool", {}).get("dagfactory", {}) if is_pyproject else data
    where = _Locator(display, text, is_pyproject)
    settings, problems = _settings(table, where)
    for key in ("specs", "out"):
        if key in settings:  # relative to the file's folder; shown relative to the cwd
            settings[key] = Path(os.path.relpath(path.parent.resolve() / settings[key]))
    if "include_roots" in settings:
        settings["include_roots"] = _include_roots(settings["include_roots"], path.parent.resolve(), where, problems)
    if problems:
        raise ConfigError(problems)
    return Config(**settings, source=path)


def _include_roots(names: list[str], base: Path, where: _Locator, problems: list[Diagnostic]) -> tuple[Path, ...]:
    """The configured folders, relative to the config file's folder; each must exist (a typo
    would otherwise refuse every file in it with a message far from its cause)."""
    roots = []
    for name in names:
        root = Path(os.path.relpath(base / name))
        if not root.is_dir():
            message = f"`include_roots`: {name!r} is not a folder"
            hint = "name a folder relative to this file, or create it"
            problems.append(where.at("include_roots", "DF603", message, hint))
        roots.append(root)
    return tuple(roots)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read like any file the compiler reads (:func:`dagfactory.load.files.read_file`):
    ``--config`` naming a FIFO or ``/dev/zero`` is an error, not a hang or a memory blow-up."""
    from dagfactory.load.files import read_file

    return read_file(path)


def display_name(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _syntax_error(display: str, exc: Exception) -> Diagnostic:
    # tomllib puts the position in the message: "Invalid value (at line 3, column 9)".
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    line, column = (int(found[1]), int(found[2])) if found else (1, 1)
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    return Diagnostic(display, line, column, "DF601", f"invalid TOML: {message}", hint="fix the TOML syntax")


class _Locator:
    """Finds the line of a key inside our table by scanning the text (tomllib keeps no positions)."""

    def __init__(self, display: str, text: str, in_pyproject: bool):
        self.display, self.lines, self.in_pyproject = display, text.splitlines(), in_pyproject

    def _in_section(self) -> range:
        start = 0
        if self.in_pyproject:
            start = next((i + 1 for i, line in enumerate(self.lines) if _TABLE_HEADER.match(line)), 0)
        end = next((i for i in range(start, len(self.lines)) if self.lines[i].lstrip().startswith("[")), None)
        return range(start, len(self.lines) if end is None else end)

    def at(self, key: str, code: str, message: str, hint: str | None = None) -> Diagnostic:
        pattern = re.compile(rf"^(\s*)[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for index in self._in_section():
            found = pattern.match(self.lines[index])
            if found:
                return Diagnostic(self.display, index + 1, len(found[1]) + 1, code, message, hint=hint)
        return Diagnostic(self.display, 1, 1, code, message, hint=hint)


def _settings(table: Any, where: _Locator) -> tuple[dict[str, Any], list[Diagnostic]]:
    if not isinstance(table, dict):
        hint = "write the settings under a `[tool.dagfactory]` header"
        return {}, [where.at("dagfactory", "DF603", "[tool.dagfactory] must be a table", hint)]
    settings: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for key, value in table.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(_KEYS)}"
            problems.append(where.at(key, "DF602", f"unknown configuration key {key!r}", hint))
            continue
        value, problem = _checked(key, value)
        if problem:
            problems.append(where.at(key, "DF603", problem, "fix the value, or remove the key to use the default"))
        else:
            settings[key] = value
    return settings, problems


def _checked(key: str, value: Any) -> tuple[Any, str | None]:
    """The value, normalised, or a message saying what is wrong with it."""
    if key == "airflow":
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if value not in AIRFLOW_TARGETS:
            return value, f"`airflow` must be one of {', '.join(map(repr, AIRFLOW_TARGETS))}, not {value!r}"
        return value, None
    if key == "include_roots":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return value, f"`include_roots` must be a list of folder names, not {value!r}"
        return value, None
    expected = _KEYS[key]
    if not isinstance(value, expected):
        word = "true or false" if expected is bool else "a string"
        return value, f"`{key}` must be {word}, not {type(value).__name__} {value!r}"
    if isinstance(value, str) and not value.strip():
        return value, f"`{key}` must not be empty"
    return value, None


def with_overrides(config: Config, **options: Any) -> Config:
    """Apply CLI options that were given (not None) over the file's settings."""
    return dataclasses.replace(config, **{k: v for k, v in options.items() if v is not None})
