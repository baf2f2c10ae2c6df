"""Files a spec refers to stay inside the specs folder (or `include_roots`), are regular files and are
bounded; every refusal is DF208 at the value. Real files, links, FIFOs and devices, no mocks."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagfactory.check.project import check_spec
from dagfactory.check.semantics import check_task_args
from dagfactory.load.discover import discover
from dagfactory.load.document import Document
from dagfactory.load.files import FileScope, read_reference, read_regular, scope_of
from dagfactory.load.references import embed_files, referenced_files
from dagfactory.operators import CATALOG

from ..conftest import MINIMAL_HEAD, property_settings, run_cli

SECRET = "SELECT 'the secret outside the specs folder'"


def sql_spec(sql: str) -> str:
    """A one-task spec whose `sql:` value is on line 11, column 10."""
    return MINIMAL_HEAD + f"tasks:\n  load:\n    operator: sql\n    conn_id: warehouse\n    sql: {sql}\n"


@pytest.fixture
def tree(project: Path) -> Path:
    """specs/ with good queries, and a sibling outside/ holding a secret."""
    (project / "specs" / "queries").mkdir()
    (project / "specs" / "queries" / "ok.sql").write_text("SELECT 1\n")
    (project / "outside").mkdir()
    (project / "outside" / "secret.sql").write_text(SECRET)
    return project


def validate(project: Path, sql: str, *args: str) -> tuple[int, list[dict]]:
    (project / "specs" / "etl.yaml").write_text(sql_spec(sql))
    started = time.monotonic()
    proc = run_cli("validate", "--format", "json", *args, cwd=project)
    assert time.monotonic() - started < 60  # nothing hangs (a FIFO, /dev/zero)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout or "[]")


HOSTILE = {
    "up and out": ("../outside/secret.sql", "outside"),
    "far up": ("../../../../../../etc/passwd.sql", "outside"),
    "link to /etc/passwd": ("passwd.sql", "resolves to /etc/passwd, outside"),
    "link to /dev/zero": ("zero.sql", "resolves to /dev/zero, outside"),
    "link to /proc/self/environ": ("environ.sql", "outside"),
    "linked folder in the middle": ("linked/secret.sql", "outside"),
    "link to a link out": ("chain.sql", "outside"),
    "fifo": ("queries/pipe.sql", "a FIFO (named pipe), not a regular file"),
    "folder": ("queries/folder.sql", "a folder, not a regular file"),
    "two megabytes": ("queries/big.sql", "larger than 1,000,000 bytes"),
    "dangling link": ("dangling.sql", "not found"),
    "link loop": ("loop.sql", "cannot be read"),
}


def make_hostile(project: Path) -> None:
    specs, queries = project / "specs", project / "specs" / "queries"
    (specs / "passwd.sql").symlink_to("/etc/passwd")
    (specs / "zero.sql").symlink_to("/dev/zero")
    (specs / "environ.sql").symlink_to("/proc/self/environ")
    (specs / "linked").symlink_to(project / "outside", target_is_directory=True)
    (specs / "chain.sql").symlink_to("passwd.sql")
    os.mkfifo(queries / "pipe.sql")
    (queries / "folder.sql").mkdir()
    (queries / "big.sql").write_bytes(b"-- " + b"x" * (2 * 1024 * 1024) + b"\n")
    (specs / "dangling.sql").symlink_to("queries/missing.sql")
    (specs / "loop.sql").symlink_to("loop.sql")


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_reference_is_df208_at_the_value(tree: Path, case: str) -> None:
    make_hostile(tree)
    sql, fragment = HOSTILE[case]
    code, found = validate(tree, sql)
    assert code == 1
    [d] = found
    assert (d["path"], d["line"], d["column"], d["code"]) == ("specs/etl.yaml", 11, 10, "DF208"), d
    assert fragment in d["message"]
    assert SECRET not in json.dumps(d)


def test_an_absolute_path_is_refused_even_to_a_file_inside(tree: Path) -> None:
    code, [d] = validate(tree, str(tree / "specs" / "queries" / "ok.sql"))
    assert (code, d["line"], d["column"], d["code"]) == (1, 11, 10, "DF208")
    assert "absolute path" in d["message"]


def test_compile_of_a_hostile_reference_writes_nothing(tree: Path) -> None:
    (tree / "specs" / "etl.yaml").write_text(sql_spec("../outside/secret.sql"))
    proc = run_cli("compile", cwd=tree)
    assert proc.returncode == 1
    assert "DF208" in proc.stdout + proc.stderr
    assert list((tree / "generated_dags").iterdir()) == []


def test_a_list_item_is_reported_at_the_item(tree: Path) -> None:
    code, [d] = validate(tree, "[queries/ok.sql, ../outside/secret.sql]")
    assert (code, d["line"], d["column"], d["code"]) == (1, 11, 27, "DF208")


def test_references_that_stay_inside_are_fine(tree: Path) -> None:
    team = tree / "specs" / "team"
    team.mkdir()
    (team / "back.sql").symlink_to("../queries/ok.sql")  # a link that stays inside
    (tree / "specs" / "alias").symlink_to("queries", target_is_directory=True)  # a linked folder inside
    for sql in ("../queries/ok.sql", "./back.sql", "../alias/ok.sql", "../team/../queries/./ok.sql"):
        (team / "etl.yaml").write_text(sql_spec(sql))
        proc = run_cli("compile", "--no-cache", cwd=tree)
        assert proc.returncode == 0, (sql, proc.stdout + proc.stderr)
        assert "SELECT 1" in (tree / "generated_dags" / "team" / "etl.py").read_text()


def test_include_roots_admit_a_named_folder_and_only_it(tree: Path) -> None:
    (tree / "elsewhere").mkdir()
    (tree / "elsewhere" / "other.sql").write_text("SELECT 'other'")
    (tree / "dagfactory.toml").write_text('include_roots = ["outside"]\n')
    assert validate(tree, "../outside/secret.sql") == (0, [])
    code, [d] = validate(tree, "../elsewhere/other.sql")
    assert (code, d["line"], d["code"]) == (1, 11, "DF208")
    (tree / "specs" / "etl.yaml").write_text(sql_spec("../outside/secret.sql"))
    assert run_cli("compile", cwd=tree).returncode == 0
    assert "the secret outside the specs folder" in (tree / "generated_dags" / "etl.py").read_text()


def test_include_roots_still_refuse_devices_and_fifos(tree: Path) -> None:
    (tree / "dagfactory.toml").write_text('include_roots = ["/dev"]\n')
    (tree / "specs" / "zero.sql").symlink_to("/dev/zero")
    code, [d] = validate(tree, "zero.sql")
    assert (code, d["line"], d["code"]) == (1, 11, "DF208")
    assert "a character device" in d["message"]


@pytest.mark.parametrize(
    ("toml", "line", "fragment"),
    [
        ('specs = "specs"\ninclude_roots = "outside"\n', 2, "must be a list of folder names"),
        ('specs = "specs"\n\ninclude_roots = ["outside", 3]\n', 3, "must be a list of folder names"),
        ('include_roots = ["outside", "nowhere"]\n', 1, "'nowhere' is not a folder"),
        ('include_roots = [""]\n', 1, "must be a list of folder names"),
    ],
)
def test_a_bad_include_roots_is_reported_at_its_line(tree: Path, toml: str, line: int, fragment: str) -> None:
    (tree / "dagfactory.toml").write_text(toml)
    proc = run_cli("validate", cwd=tree)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"dagfactory.toml:{line}:1: error[DF603]" in proc.stderr + proc.stdout
    assert fragment in proc.stderr + proc.stdout


@pytest.mark.parametrize("config", ["/dev/zero", "fifo.toml"])
def test_a_config_that_is_a_device_or_a_fifo_is_df601_not_a_hang(tree: Path, config: str) -> None:
    if config == "fifo.toml":
        os.mkfifo(tree / config)
    started = time.monotonic()
    proc = run_cli("validate", "--config", config, cwd=tree)
    assert time.monotonic() - started < 30
    assert proc.returncode == 2
    assert "error[DF601]" in proc.stdout
    assert "is not a regular file" in proc.stdout


# ------------------------------------------------------------------ shared defaults are read the same way


@pytest.mark.parametrize("kind", ["link out", "link to /etc/passwd", "fifo", "folder", "too big"])
def test_a_defaults_file_that_may_not_be_read_is_df208(tree: Path, kind: str) -> None:
    defaults = tree / "specs" / "_defaults.yaml"
    (tree / "outside" / "_defaults.yaml").write_text("tags: [stolen]\n")
    make = {
        "link out": lambda: defaults.symlink_to(tree / "outside" / "_defaults.yaml"),
        "link to /etc/passwd": lambda: defaults.symlink_to("/etc/passwd"),
        "fifo": lambda: os.mkfifo(defaults),
        "folder": lambda: defaults.mkdir(),
        "too big": lambda: defaults.write_text("# " + "x" * 1_100_000 + "\n"),
    }
    make[kind]()
    code, found = validate(tree, "queries/ok.sql")
    assert code == 1
    [d] = found
    assert (d["path"], d["line"], d["column"], d["code"]) == ("specs/_defaults.yaml", 1, 1, "DF208"), d


# ------------------------------------------------------------------ the cache asks the same question


def test_a_cached_spec_whose_file_became_a_link_out_or_a_fifo_is_checked_again(tree: Path) -> None:
    (tree / "specs" / "etl.yaml").write_text(sql_spec("queries/q.sql"))
    query = tree / "specs" / "queries" / "q.sql"
    query.write_text(SECRET)
    assert run_cli("compile", cwd=tree).returncode == 0
    query.unlink()
    query.symlink_to(tree / "outside" / "secret.sql")  # the same bytes, now from outside
    proc = run_cli("compile", cwd=tree)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error[DF208]" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    query.unlink()
    os.mkfifo(query)
    proc = run_cli("compile", cwd=tree)  # run_cli times out (an error) if anything opens it blocking
    assert proc.returncode == 1
    assert "a FIFO" in proc.stdout + proc.stderr


def test_referenced_files_are_the_named_files_the_check_accepts(tree: Path) -> None:
    (tree / "specs" / "etl.yaml").write_text(sql_spec("[queries/ok.sql, ../outside/secret.sql]"))
    [spec] = discover([tree / "specs"], tree / "specs", tree)
    result = check_spec(spec)
    assert result.document is not None
    assert [d.code for d in result.diagnostics] == ["DF208"]
    assert referenced_files(result.document) == [tree / "specs" / "queries" / "ok.sql"]


# ------------------------------------------------------------------ reading: bounded, never blocking


def test_the_size_limit_is_counted_by_reading_not_by_stat() -> None:
    environ = Path(f"/proc/{os.getpid()}/environ")
    assert environ.stat().st_size == 0
    assert len(environ.read_bytes()) > 10
    raw = read_regular(environ, limit=10)
    assert raw is not None
    assert len(raw) == 11  # limit + 1: too big, and no more was read
    with pytest.raises(ValueError, match="larger than 10 bytes"):
        read_reference(FileScope(Path("/proc"), (Path("/proc"),)), f"{os.getpid()}/environ", limit=10)


def test_reading_a_fifo_returns_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    started = time.monotonic()
    assert read_regular(tmp_path / "pipe") is None
    assert time.monotonic() - started < 1


# ------------------------------------------------------------------ the property


LIMIT = 64


def build_tree(root: Path) -> Path:
    """A specs folder, and a folder beside it, where every folder holds every kind of entry; returns
    the spec's folder (one level down, so `..` can stay inside)."""
    outside = root.parent / f"{root.name}-outside"
    folders = [root, root / "sub", root / "sub" / "deep", outside, outside / "sub", outside / "sub" / "deep"]
    for folder in folders:
        (folder / "dir.sql").mkdir(parents=True, exist_ok=True)
        (folder / "small.sql").write_bytes(b"SELECT 1\r\n")
        (folder / "big.sql").write_bytes(b"x" * (LIMIT + 1))
        (folder / "limit.sql").write_bytes(b"y" * LIMIT)
        os.mkfifo(folder / "fifo.sql")
        links = {
            "in_file.sql": "small.sql",
            "up_dir": "..",
            "loop.sql": "loop.sql",
            "dangling.sql": "nothing.sql",
            "zero.sql": "/dev/zero",
            "abs_in": str(root / "sub"),
            "out_dir": str(outside / "sub"),
            "out_file.sql": str(outside / "small.sql"),
            "back": "../../..",  # from the spec's folder: out of the root through a link inside it
        }
        for name, target in links.items():
            (folder / name).symlink_to(target)
    for folder in folders:  # `sub` and `deep` lead somewhere from every folder: more names resolve
        for name in ("sub", "deep"):
            if not (folder / name).exists():
                (folder / name).symlink_to(".")
    return root / "sub"


# Folder-like segments, then a file name: most names lead somewhere, and every kind of place is met.
FOLDERS = st.sampled_from(
    [".", "..", "sub", "deep", "back", "up_dir", "out_dir", "abs_in", "small.sql", "loop.sql", "dir.sql"]
)
LAST = st.sampled_from(  # files that may be read come up more often than each way to fail
    ["small.sql"] * 4
    + ["limit.sql", "in_file.sql"] * 2
    + ["big.sql", "fifo.sql", "out_file.sql", "dangling.sql"]
    + ["loop.sql", "zero.sql", "nothing.sql", "dir.sql"]
)
NAMES = st.builds(lambda folders, last: "/".join([*folders, last]), st.lists(FOLDERS, max_size=5), LAST)


@pytest.fixture(scope="module")
def property_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("prop") / "specs"
    root.mkdir()
    return root, build_tree(root)


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 400)
@given(name=NAMES)
def test_accepted_iff_inside_the_root_and_a_regular_file_within_the_limit(
    property_tree: tuple[Path, Path], name: str
) -> None:
    root, base = property_tree
    # The oracle: where the OS says the name leads, and what is there.
    real = os.path.realpath(base / name)
    inside = Path(real).is_relative_to(root.resolve())
    try:
        mode = os.stat(base / name).st_mode
    except OSError:
        mode = 0
    regular = (mode & 0o170000) == 0o100000
    fits = regular and os.path.getsize(base / name) <= LIMIT
    try:
        raw = read_reference(FileScope(base, (root,)), name, limit=LIMIT)
    except ValueError:
        assert not (inside and regular and fits), name
        return
    assert inside, name
    assert regular, name
    assert fits, name
    assert raw == (base / name).read_bytes()  # the very file the OS opens for that name


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 200)
@given(name=NAMES)
def test_validate_the_model_and_the_cache_give_one_verdict(property_tree: tuple[Path, Path], name: str) -> None:
    root, base = property_tree
    task = {"operator": "sql", "conn_id": "warehouse", "sql": name}
    doc = Document("specs/sub/etl.yaml", {"tasks": {"load": task}}, base_dir=base, file_roots=(root,))
    operator = CATALOG["sql"]
    validated = check_task_args(doc, "load", task, operator) == []
    try:
        embedded = embed_files(scope_of(doc), operator.arg("sql"), name)
    except ValueError:
        embedded = None
    cached = referenced_files(doc)
    assert validated == (embedded is not None) == (cached == [base / name]), name
    if embedded is not None:
        assert embedded == (base / name).read_bytes().decode("utf-8")
