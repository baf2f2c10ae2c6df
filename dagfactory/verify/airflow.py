"""Compiled DAG files in a real Airflow: load the result in the installed Airflow and check
every task's arguments against the real operator class.

The parent process never imports Airflow: it writes the compiled files to a temporary
folder and runs this module as a worker (``python -m dagfactory.verify.airflow MANIFEST``)
in a subprocess, which fills a DagBag and inspects each operator's ``__init__`` chain.
Whatever the worker finds is mapped back to the spec's ``file:line:col``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dagfactory.diagnostics import Diagnostic, did_you_mean
from dagfactory.emit import Compiled
from dagfactory.model import Callable, Task, XCom

WORKER_TIMEOUT_S = 600


def airflow_available() -> bool:
    try:
        return importlib.util.find_spec("airflow") is not None
    except (ImportError, ValueError):  # a broken or blocked installation counts as missing
        return False


# --- parent: compile -> worker -> diagnostics ----------------------------------------------


def _manifest(results: list[Compiled], folder: Path) -> dict[str, Any]:
    files: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        assert result.pipeline is not None
        assert result.text is not None
        target = folder / result.spec.output_relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.text, encoding="utf-8")
        files[str(target)] = [
            {
                "task_id": t.task_id,
                "airflow_id": t.airflow_task_id,  # group-prefixed: what the DagBag holds
                "module": t.module,
                "class_name": t.class_name,
                "args": [k for k, _ in t.args] + [k for k in _mapped_keywords(t) if k not in dict(t.args)],
                "taskflow": t.flavour is not None,  # a decorator's operator: Airflow checked it when parsing
                "references": [k for k, v in t.args if _holds_reference(v)],
                # mapped over another task's argument sets: which arguments they hold is known at run time only
                "open": isinstance(t.expand_kwargs, XCom),
            }
            for t in result.pipeline.tasks
        ]
    return {"folder": str(folder), "files": files}


def _mapped_keywords(task: Task) -> list[str]:
    """The keywords a mapped task's map indexes pass: its ``expand`` arguments, or every argument
    some literal ``expand_kwargs`` item sets."""
    keys = [k for k, _ in task.expand]
    if not isinstance(task.expand_kwargs, XCom):
        keys += [k for item in task.expand_kwargs or () for k, _ in item]
    return list(dict.fromkeys(keys))


def _argument_path(task: Task, keyword: str) -> tuple[str | int, ...]:
    """Where the spec writes the argument the generated code passes as ``keyword``: plain, in
    ``expand``, or in the first ``expand_kwargs`` item that sets it."""
    key = _spec_key(task, keyword)
    if keyword in dict(task.args):
        return ("tasks", task.task_id, key)
    if keyword in dict(task.expand):
        return ("tasks", task.task_id, "expand", key)
    for index, item in enumerate(() if isinstance(task.expand_kwargs, XCom) else task.expand_kwargs or ()):
        if keyword in dict(item):
            return ("tasks", task.task_id, "expand_kwargs", index, key)
    return ("tasks", task.task_id, key)


def _holds_reference(value: Any) -> bool:
    if isinstance(value, XCom):
        return True
    if isinstance(value, dict):
        return any(_holds_reference(v) for v in value.values())
    return isinstance(value, list) and any(_holds_reference(v) for v in value)


def deep_check(results: list[Compiled], import_paths: list[Path]) -> list[Diagnostic]:
    """Diagnostics from the installed Airflow for compiled ``results`` (all without errors).

    ``import_paths`` are put on the worker's PYTHONPATH (the output folder, where the
    pipelines' callables live), as Airflow's DAG-bundle loader would.
    """
    with tempfile.TemporaryDirectory(prefix="dagfactory-check-") as tmp:
        folder = Path(tmp) / "dags"
        manifest = _manifest(results, folder)
        manifest_path = Path(tmp) / "manifest.json"
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        report = _run_worker(manifest_path, folder, import_paths)
        by_file = {str(folder / r.spec.output_relative): r for r in results}
        out: list[Diagnostic] = []
        for file, result in by_file.items():
            out.extend(_file_diagnostics(result, report["tasks"].get(file, {}), report["import_errors"].get(file)))
        return out


def _run_worker(manifest_path: Path, folder: Path, import_paths: list[Path]) -> dict[str, Any]:
    paths = [str(folder), *(str(p.resolve()) for p in import_paths)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(paths),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    cmd = [sys.executable, "-m", "dagfactory.verify.airflow", str(manifest_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the Airflow check worker failed: {proc.stderr.strip().splitlines()[-1:]}")
    report = json.loads(proc.stdout)
    if not isinstance(report, dict):
        raise RuntimeError(f"the Airflow check worker printed no JSON object: {proc.stdout[:200]!r}")
    return report


def _spec_key(task: Task, keyword: str) -> str:
    """The spec's name of an argument the generated call passes as ``keyword``."""
    if task.operator:
        for arg in task.operator.args:
            if arg.keyword == keyword:
                return arg.name
    return keyword


def _file_diagnostics(result: Compiled, tasks: dict[str, Any], import_error: str | None) -> list[Diagnostic]:
    doc, pipeline = result.document, result.pipeline
    assert doc is not None
    assert pipeline is not None
    out: list[Diagnostic] = []
    for task_id, found in tasks.items():
        task = pipeline.task(task_id)
        where = f"task {task_id!r}: {found['class']}"
        if found.get("error"):
            hint = "install the package that provides it (`dagfactory requirements` lists them), or fix the path"
            out.append(doc.diagnostic(("tasks", task_id, "operator"), "DF502", f"{where} {found['error']}", hint=hint))
            continue
        for keyword in found["rejected"]:
            key = _spec_key(task, keyword)
            out.append(
                doc.diagnostic(
                    _argument_path(task, keyword),
                    "DF501",
                    f"{where} does not accept the argument {key!r}",
                    key=True,
                    hint=did_you_mean(keyword, found["accepted"])
                    or "remove it: the installed version of the operator does not take it",
                )
            )
        for name in found["missing"]:
            needs = f"{where} needs the argument {name!r}"
            out.append(doc.diagnostic(("tasks", task_id), "DF501", needs, key=True, hint=f"add `{name}:` to the task"))
        for keyword in found.get("untemplated", []):
            templated = ", ".join(found.get("template_fields", [])) or "none"
            out.append(
                doc.diagnostic(
                    ("tasks", task_id, keyword),
                    "DF309",
                    f"{where} does not template {keyword!r}, so another task's result there would reach it "
                    "as an unresolved XComArg",
                    key=True,
                    hint=f"pass the reference in a templated field of {found['class']} ({templated})",
                )
            )
    if import_error and not out:
        out.append(_import_error(result, import_error))
    if not import_error and not out:  # loaded, yet a task is not in the DAG: its class is no operator
        for task_id, found in tasks.items():
            if not found["loaded"]:
                message = f"task {task_id!r}: {found['class']} made no Airflow task; is it an operator class?"
                hint = "name an operator class (a subclass of BaseOperator)"
                out.append(doc.diagnostic(("tasks", task_id, "operator"), "DF502", message, hint=hint))
    return out


def _import_error(result: Compiled, message: str) -> Diagnostic:
    """Place a DagBag import error at the task (or argument) whose code raised it."""
    doc, pipeline = result.document, result.pipeline
    assert doc is not None
    assert pipeline is not None
    assert result.text is not None
    last = message.strip().splitlines()[-1] if message.strip() else message
    lines = result.text.splitlines()
    numbers = [int(n) for n in re.findall(r'File "[^"]*", line (\d+)', message)]
    target = numbers[-1] if numbers else 0
    path: tuple[str | int, ...] = ()
    if 0 < target <= len(lines):
        path = _path_for_line(pipeline.tasks, lines, target)
    message = f"the generated DAG fails to import in Airflow: {last}"
    hint = "fix the value at this place (or report the spec as a bug in dagfactory if it looks right)"
    return doc.diagnostic(path, "DF502", message, key=bool(path), hint=hint)


def _path_for_line(tasks: tuple[Task, ...], lines: list[str], number: int) -> tuple[str | int, ...]:
    text = lines[number - 1]
    imported = re.match(r"from (\S+) import", text)
    if imported:  # an import line: the operator class or a callable of some task
        module = imported.group(1)
        for task in tasks:
            if task.module == module:
                return ("tasks", task.task_id, "operator")
            for key, value in task.args:
                values = value if isinstance(value, list) else [value]
                if any(isinstance(v, Callable) and v.module == module for v in values):
                    return ("tasks", task.task_id, _spec_key(task, key))
        return ()
    for index in range(number - 1, -1, -1):  # inside a task's call: find its task_id line
        found = re.match(r'\s+task_id="([^"\\]*)",$', lines[index])
        if found and any(t.task_id == found.group(1) for t in tasks):
            return ("tasks", found.group(1))
    return ()


# --- worker: runs inside the Airflow environment --------------------------------------------


def signature_names(cls: type) -> tuple[list[str], list[str]]:
    """Keyword names accepted along the MRO's ``__init__``s, and those without a default."""
    import inspect

    seen: dict[str, bool] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.name != "self" and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                seen.setdefault(param.name, param.default is param.empty)
    return sorted(seen), sorted(name for name, required in seen.items() if required)


def _check_task(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"class": spec["class_name"]}
    if spec.get("taskflow"):  # the decorator took its arguments when the DAG file was parsed
        return found | {"accepted": [], "rejected": [], "missing": []}
    try:
        cls = getattr(importlib.import_module(spec["module"]), spec["class_name"])
    except Exception as exc:
        return found | {"error": f"cannot be imported: {type(exc).__name__}: {exc}"}
    path = f"{spec['module']}.{spec['class_name']}"
    if not isinstance(cls, type):  # `operator: os.path.join` names a function, not a class
        return found | {"error": f"is not a class: {path} is a {type(cls).__name__}"}
    try:
        accepted, required = signature_names(cls)
    except (TypeError, ValueError) as exc:  # classes written in C have no readable signature
        return found | {"error": f"is not an Airflow operator: the signature of {path} cannot be read ({exc})"}
    given = set(spec["args"]) | {"task_id"}
    templated = [str(f) for f in getattr(cls, "template_fields", ())]
    return found | {
        "accepted": accepted,
        "rejected": [a for a in spec["args"] if a not in accepted],
        "missing": [] if spec.get("open") else [r for r in required if r not in given],
        "template_fields": templated,
        "untemplated": [a for a in spec.get("references", []) if a in accepted and a not in templated],
    }


def _loaded_tasks(bag: Any) -> dict[str, list[str]]:
    """The task ids of each file's DAGs as the DagBag holds them (file -> ids)."""
    loaded: dict[str, list[str]] = {}
    for dag in bag.dags.values():
        loaded.setdefault(os.path.realpath(dag.fileloc), []).extend(dag.task_ids)
    return loaded


def _worker(manifest_path: str) -> dict[str, Any]:
    import warnings

    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    warnings.simplefilter("ignore")
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=manifest["folder"])
    loaded = _loaded_tasks(bag)
    tasks = {}
    for file, specs in manifest["files"].items():
        present = set(loaded.get(os.path.realpath(file), ()))
        tasks[file] = {t["task_id"]: _check_task(t) | {"loaded": t["airflow_id"] in present} for t in specs}
    return {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "tasks": tasks}


def main(argv: list[str]) -> int:
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever Airflow or a DAG file prints must not corrupt the JSON
    json.dump(_worker(argv[1]), real_stdout)
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
