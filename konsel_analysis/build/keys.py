"""The one key of the build: what a derived file is computed from, as one sha256.

A derived file (a step's table, a report table, a page, a chart drawing) is a
function of input files, policy numbers,
settings and code. Its key (:func:`compute_key`) is a sha256 of all of them:

- the input files (raw tables, the dataset config), by content;
- every reference file (``parameters.yml``, the village list, ...), by content;
- the source of every module of the package the computation imports, followed
  from the named entry modules through their imports (function-level imports
  included), so that editing a step's code recomputes that step and nothing else;
- the settings (JSON) and the package version.

A task (:mod:`.task`) records its key with its outputs and their sha256 in a
manifest (:mod:`.manifest`); a later run with the same key reuses the outputs while
each is still, byte for byte, what was written.

>>> sorted(p.name for p in code_files("konsel_analysis.errors"))
['__init__.py', 'errors.py']
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from konsel_analysis import __version__
from konsel_analysis.paths import PACKAGE_DIR, REFERENCE_DIR

PACKAGE = "konsel_analysis"


@cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (remembered per size and modification time within a process)."""
    path = Path(path).resolve()
    stat = path.stat()
    return _file_sha256(path, stat.st_size, stat.st_mtime_ns)


def module_file(name: str) -> Path | None:
    """The source file of a module of this package, or ``None`` for anything else."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    parts = name.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Names of the package's modules that ``path`` imports, anywhere in the file."""
    stat = path.stat()
    return _parsed_imports(path, stat.st_size, stat.st_mtime_ns)


@cache
def _parsed_imports(path: Path, size: int, mtime_ns: int) -> frozenset[str]:
    """The package modules ``path`` imports, by Python's own parser (every import
    statement, function-level ones included; ``from a import b`` may import module
    ``a.b``). A pattern over the source once did this faster; it saved 1.6% of a cold
    build and was removed (docs/speed_tricks.md)."""
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()
    for node in _statements(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(name for name in found if module_file(name) is not None)


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement of ``tree``, nested ones included (in functions, classes, ``if``,
    ``try``, ``with``, loops and ``match``): an import is a statement, so expressions,
    most of a module's nodes, need not be visited."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(
            child
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)
        )


def code_files(*modules: str) -> list[Path]:
    """Source files of ``modules`` and of every package module they import, transitively.

    Parent packages' ``__init__.py`` are included: importing a module runs them. Within
    a process the files found are remembered while none of them changed (size and
    modification time): a build asks for the same code once per page and chart.
    """
    memo_key = (PACKAGE_DIR, modules)
    kept = _FOLLOWED.get(memo_key)
    if kept is not None and _stamps(kept[0]) == kept[1]:
        return list(kept[0])
    files = _follow(modules)
    _FOLLOWED[memo_key] = (files, _stamps(files))
    return list(files)


_FOLLOWED: dict[tuple[Path, tuple[str, ...]], tuple[list[Path], tuple | None]] = {}


def _stamps(files: list[Path]) -> tuple | None:
    """Size and modification time of each file (``None`` when one is gone)."""
    try:
        return tuple((s.st_size, s.st_mtime_ns) for s in (p.stat() for p in files))
    except OSError:
        return None


def _follow(modules: tuple[str, ...]) -> list[Path]:
    seen: set[Path] = set()
    queue = list(modules)
    while queue:
        name = queue.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            path = module_file(".".join(parts[:i]))
            if path is None or path in seen:
                continue
            seen.add(path)
            queue.extend(_imports(path))
    return sorted(seen)


def reference_files() -> list[Path]:
    """Every reference file (parameters.yml, the village list, ...)."""
    return sorted(p for p in REFERENCE_DIR.rglob("*") if p.is_file())


def compute_key(inputs: Iterable[Path], code: Iterable[Path], settings: dict) -> str:
    """sha256 over input files, reference files, code files, settings and version."""
    digest = hashlib.sha256()
    for path in [*inputs, *reference_files()]:
        digest.update(Path(path).name.encode())
        digest.update(file_digest(path).encode())
    for path in code:
        digest.update(str(Path(path).relative_to(PACKAGE_DIR)).encode())
        digest.update(file_digest(path).encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    return digest.hexdigest()


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes, read now (never remembered: it checks what is on disk)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
