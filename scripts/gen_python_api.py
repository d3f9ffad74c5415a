#!/usr/bin/env python3
"""Generates docs/python-api.md from the `strata` package itself: the public functions,
classes, methods, exceptions and constants of `strata` and `strata.torch`, with their
signatures and docstrings, read with `inspect` from the imported (built) package.

    .venv/bin/python scripts/gen_python_api.py [--check]

Public means: named in the module's `__all__`, or defined in the module (functions, classes,
top-level assignments) under a name that does not start with `_`. Methods are a class's own
public ones (and its properties). --check writes nothing: it exits 1, with a diff, if
docs/python-api.md is not what the package says now. Needs the package and torch importable
(the repository's venv after `make build`).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import pathlib
import pkgutil
import sys
import types
from typing import Dict, List, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "python-api.md"
COMMAND = ".venv/bin/python scripts/gen_python_api.py"

missing_docstrings: List[str] = []


class _Raw(str):
    """An annotation kept as the source wrote it (the package uses `from __future__ import
    annotations`, so annotations are strings): repr without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _annotation(a):
    if a is inspect.Parameter.empty or a is inspect.Signature.empty:
        return a
    return _Raw(a if isinstance(a, str) else inspect.formatannotation(a))


def signature(obj, drop_self: bool = False) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = list(sig.parameters.values())
    if drop_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    params = [p.replace(annotation=_annotation(p.annotation)) for p in params]
    return str(sig.replace(parameters=params, return_annotation=_annotation(sig.return_annotation)))


def doc_block(obj, qualname: str) -> List[str]:
    doc = inspect.getdoc(obj) if not isinstance(obj, property) else (inspect.cleandoc(obj.__doc__) if obj.__doc__ else None)
    if isinstance(obj, type) and obj.__doc__ is None:
        doc = None  # do not inherit a base class's docstring
    if not doc:
        missing_docstrings.append(qualname)
        return ["*(no docstring)*", ""]
    return ["```text", doc, "```", ""]


def defined_names(module: types.ModuleType) -> List[str]:
    """Top-level names the module's source assigns, defines or declares (in source order)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def public_names(module: types.ModuleType) -> List[str]:
    names = list(getattr(module, "__all__", []))
    for name in defined_names(module):
        if not name.startswith("_") and name not in names and hasattr(module, name):
            names.append(name)
    return names


def method_section(cls: type, prefix: str) -> List[str]:
    lines: List[str] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        qual = f"{prefix}.{name}"
        if isinstance(member, property):
            lines += [f"#### `{qual}`", "", "```python", f"{qual}  # property", "```", ""]
            lines += doc_block(member, qual)
        elif isinstance(member, (staticmethod, classmethod)):
            fn = member.__func__
            lines += [f"#### `{qual}`", "", "```python", f"{qual}{signature(fn, isinstance(member, classmethod))}", "```", ""]
            lines += doc_block(fn, qual)
        elif inspect.isfunction(member):
            lines += [f"#### `{qual}`", "", "```python", f"{qual}{signature(member, drop_self=True)}", "```", ""]
            lines += doc_block(member, qual)
    if "__enter__" in vars(cls) and "__exit__" in vars(cls):
        lines += [f"`{prefix}` is a context manager (`with ... as x:` closes it on exit).", ""]
    if "__iter__" in vars(cls):
        lines += [f"`{prefix}` is iterable (`for batch in x:`).", ""]
    return lines


def module_section(module: types.ModuleType, title_level: str = "##") -> List[str]:
    mod = module.__name__
    lines = [f"{title_level} `{mod}`", ""]
    lines += doc_block(module, mod)
    functions: List[Tuple[str, object]] = []
    classes: List[Tuple[str, type]] = []
    exceptions: List[Tuple[str, type]] = []
    others: List[Tuple[str, object]] = []
    for name in public_names(module):
        obj = getattr(module, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            exceptions.append((name, obj))
        elif isinstance(obj, type):
            classes.append((name, obj))
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
            functions.append((name, obj))
        elif not isinstance(obj, types.ModuleType):
            others.append((name, obj))
    if functions:
        lines += ["### Functions", ""]
        for name, fn in functions:
            qual = f"{mod}.{name}"
            lines += [f"#### `{qual}`", "", "```python", f"{qual}{signature(fn)}", "```", ""]
            lines += doc_block(fn, qual)
    for name, cls in classes:
        qual = f"{mod}.{name}"
        bases = ", ".join(b.__module__ + "." + b.__qualname__ if b.__module__ != "builtins" else b.__qualname__
                          for b in cls.__bases__ if b is not object)
        lines += [f"### class `{qual}`", "", "```python", f"class {qual}{signature(cls)}" + (f"  # bases: {bases}" if bases else ""), "```", ""]
        lines += doc_block(cls, qual)
        lines += method_section(cls, qual)
    if exceptions:
        lines += ["### Exceptions", ""]
        for name, cls in exceptions:
            qual = f"{mod}.{name}"
            bases = ", ".join(b.__qualname__ for b in cls.__bases__)
            lines += [f"#### `{qual}`", "", "```python", f"class {qual}({bases})", "```", ""]
            lines += doc_block(cls, qual)
    if others:
        lines += ["### Other names", "", "| name | value |", "|---|---|"]
        for name, obj in others:
            text = repr(obj).replace("|", "\\|")
            lines.append(f"| `{mod}.{name}` | `{text}` |")
        lines.append("")
    return lines


def submodule_table(package: types.ModuleType) -> List[str]:
    rows = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        path = pathlib.Path(package.__path__[0]) / f"{info.name}.py"
        first = ""
        if path.exists():
            module_doc = ast.get_docstring(ast.parse(path.read_text()))
            first = (module_doc or "").strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")
        rows.append(f"| `{package.__name__}.{info.name}` | {first} |")
    return ["### Submodules", "", "| module | |", "|---|---|", *rows, ""]


def render() -> str:
    import strata
    import strata.torch

    lines = [
        "# Python API reference",
        "",
        f"<!-- Generated by `{COMMAND}` from the package's signatures and docstrings. Do not edit: -->",
        f"<!-- change the docstrings in python/strata/ and run `{COMMAND}` again. -->",
        "",
        f"Generated with `inspect` from the built package by `{COMMAND}`;",
        "`make test` checks that it is up to date (tests/python/test_docs.py). The guide, with",
        "examples, is [python.md](python.md); the server and its clients are in [serving.md](serving.md).",
        "",
    ]
    body = module_section(strata)
    body += submodule_table(strata)
    body += module_section(strata.torch)
    for line in body:
        if line.startswith("## ") or line.startswith("### class "):
            title = line.split(" ", 1)[1]
            indent = "  " if line.startswith("### ") else ""
            lines.append(f"{indent}- [{title}](#{anchor(title)})")
    lines.append("")
    lines += body
    return "\n".join(lines).rstrip("\n") + "\n"


def anchor(title: str) -> str:
    # GitHub's heading anchors: lower case, spaces to dashes, punctuation other than - and _ dropped.
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT), help="the file to write or check (default: docs/python-api.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date; write nothing")
    args = parser.parse_args()
    text = render()
    out = pathlib.Path(args.out)
    if args.check:
        current = out.read_text() if out.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(out), "the package (now)", lineterm="")
        print("\n".join(list(diff)[:80]))
        print(f"\n{out} is out of date with the strata package; regenerate it with: {COMMAND}")
        return 1
    out.write_text(text)
    print(f"wrote {out} ({len(text.splitlines())} lines)")
    if missing_docstrings:
        print("no docstring: " + ", ".join(missing_docstrings), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
