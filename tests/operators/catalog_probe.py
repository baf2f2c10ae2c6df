"""Compare the operator catalog with the installed operators (run with the venv's python).

Prints one JSON document: for every catalog entry, whether its class imports, the
argument names its __init__ chain accepts, the ones it requires, and its template_fields.
Run as a subprocess: importing Airflow and the providers costs seconds and global state.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings


def accepted(cls: type) -> tuple[list[str], list[str]]:
    """Keyword names accepted along the MRO's __init__s, and those without a default.

    The first __init__ in MRO order that names a parameter decides its default.
    """
    seen: dict[str, bool] = {}  # name -> required
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                continue
            seen.setdefault(param.name, param.default is param.empty)
    return sorted(seen), sorted(name for name, required in seen.items() if required)


def probe(module: str, class_name: str) -> dict[str, object]:
    try:
        cls = getattr(importlib.import_module(module), class_name)
    except Exception as exc:  # reported, the test fails on it
        return {"error": f"{type(exc).__name__}: {exc}"}
    names, required = accepted(cls)
    return {"accepted": names, "required": required, "template_fields": sorted(cls.template_fields)}


def main() -> int:
    # This file sits in tests/, whose airflow/ package would shadow the real one.
    sys.path[:] = [p for p in sys.path if p not in ("", sys.path[0])]
    warnings.simplefilter("ignore")
    from dagfactory.operators import CATALOG

    report = {name: probe(op.module, op.class_name) for name, op in sorted(CATALOG.items())}
    json.dump(report, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
