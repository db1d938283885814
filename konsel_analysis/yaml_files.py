"""Reading the YAML files people write by hand (dataset configs, parameters.yml).

PyYAML keeps the last of two equal keys in one mapping without a word, so a config
that names ``persons:`` twice used whichever came last. A hand-written file with a
key given twice is a mistake to show, not to guess at: :func:`load_yaml` refuses it.

>>> load_yaml_text("a: 1\\nb: 2\\n")
{'a': 1, 'b': 2}
>>> load_yaml_text("a: 1\\nb: 2\\na: 3\\n")
Traceback (most recent call last):
...
konsel_analysis.yaml_files.DuplicateKeyError: key 'a' is given twice (lines 1 and 3); keep one
"""

from __future__ import annotations

from pathlib import Path

import yaml


class DuplicateKeyError(yaml.YAMLError):
    """A mapping of a YAML file gives one key twice. ``line`` is the second (1-based)."""

    def __init__(self, key: object, first_line: int, line: int) -> None:
        self.key, self.first_line, self.line = key, first_line, line
        super().__init__(f"key {key!r} is given twice (lines {first_line} and {line}); keep one")


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:  # an unhashable key: the base loader says what is wrong
                    continue
                if first != key_node.start_mark.line + 1:
                    raise DuplicateKeyError(key, first, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep)


def load_yaml_text(text: str) -> object:
    """``yaml.safe_load`` of ``text``, refusing a key given twice in one mapping."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader


def load_yaml(path: Path | str) -> object:
    """``yaml.safe_load`` of a file, refusing a key given twice in one mapping
    (:class:`DuplicateKeyError`, a ``yaml.YAMLError``)."""
    return load_yaml_text(Path(path).read_text(encoding="utf-8"))
