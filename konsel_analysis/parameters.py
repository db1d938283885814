"""Policy numbers, read from ``reference/parameters.yml``.

Every value there carries its unit, the date it applies from and its source.
Code asks for a value by its dotted key, so no policy number is typed twice::

    >>> from konsel_analysis.parameters import load_parameters
    >>> params = load_parameters()
    >>> params.value("poverty_lines.poverty_line")
    462710
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from konsel_analysis.paths import REFERENCE_DIR
from konsel_analysis.yaml_files import DuplicateKeyError, load_yaml

DEFAULT_PARAMETERS_FILE = REFERENCE_DIR / "parameters.yml"
_REQUIRED_FIELDS = ("value", "unit", "applies_from", "source")


@dataclass(frozen=True)
class Parameter:
    """One policy number with its provenance."""

    key: str
    value: float | int
    unit: str
    applies_from: date
    source: str


@dataclass(frozen=True)
class Parameters:
    """All policy numbers of one parameters file, addressed by dotted key."""

    items: dict[str, Parameter]
    path: Path

    def __getitem__(self, key: str) -> Parameter:
        try:
            return self.items[key]
        except KeyError:
            raise KeyError(
                f"{self.path}: no parameter {key!r}; known keys: {', '.join(sorted(self.items))}"
            ) from None

    def value(self, key: str) -> float | int:
        return self[key].value


class ParameterFileError(ValueError):
    """The parameters file is malformed; the message names the file, the key and the fix."""


def _flatten(tree: dict, path: Path, prefix: str = "") -> dict[str, Parameter]:
    items: dict[str, Parameter] = {}
    for name, node in tree.items():
        key = f"{prefix}{name}"
        if not isinstance(node, dict):
            raise ParameterFileError(
                f"{path}: {key!r} must be a mapping with {', '.join(_REQUIRED_FIELDS)}"
            )
        if "value" not in node:
            items.update(_flatten(node, path, prefix=f"{key}."))
            continue
        missing = [f for f in _REQUIRED_FIELDS if f not in node]
        if missing:
            raise ParameterFileError(
                f"{path}: parameter {key!r} lacks {', '.join(missing)}; "
                "every policy number needs its value, unit, applies_from date and source"
            )
        if not isinstance(node["value"], int | float):
            raise ParameterFileError(f"{path}: parameter {key!r} has a non-numeric value")
        items[key] = Parameter(
            key=key,
            value=node["value"],
            unit=str(node["unit"]),
            applies_from=node["applies_from"],
            source=str(node["source"]),
        )
    return items


@cache
def load_parameters(path: Path | str = DEFAULT_PARAMETERS_FILE) -> Parameters:
    """Read a parameters YAML file; every leaf needs value, unit, applies_from and source."""
    path = Path(path)
    try:
        tree = load_yaml(path)
    except DuplicateKeyError as err:
        raise ParameterFileError(f"{path}: {err}") from None
    if not isinstance(tree, dict):
        raise ParameterFileError(f"{path}: expected a mapping of parameter groups at the top")
    return Parameters(items=_flatten(tree, path), path=path)
