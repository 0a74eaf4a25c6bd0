"""Safe YAML loading that remembers the line of every key, for errors that point at a line.

Only ``yaml`` safe loading is used: a rule or profile file can describe data, never run code.
Timestamps are not resolved, so ``2024-01-08`` stays a string and is read by our own date code
(PyYAML would otherwise turn it into a ``date`` and ``2024-02-30`` into a crash).
Duplicate keys are an error rather than the silent "last one wins" of plain PyYAML.

Bounded: a file must be a regular file of at most ``MAX_BYTES`` (a FIFO or ``/dev/zero`` is
refused before it is opened), and aliases (``*name``) are refused, since they add nothing to a
rule or profile and are how a few hundred bytes expand into gigabytes.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

Path_ = tuple[str | int, ...]

MAX_BYTES = 1 << 20  # 1 MiB: the largest rule file today is under 10 KiB


class YamlFileError(ValueError):
    """A YAML file that cannot be read; the message names the file and line."""


@dataclass
class YamlDocument:
    """Parsed data plus the line (1-based) of each key or list item, by path."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def where(self, path: Path_) -> str:
        return f"{self.file}:{self.line_of(path)}"


def load_yaml(path: Path | str, text: str | None = None) -> YamlDocument:
    """Load one YAML document safely, recording lines; raise ``YamlFileError`` with file:line."""
    name = str(path)
    if text is None:
        text = _read_bounded(Path(path), name)
    elif len(text) > MAX_BYTES:
        raise YamlFileError(f"{name}: larger than {MAX_BYTES} bytes")
    _refuse_aliases(text, name)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(name, None, {(): 1})
        lines: dict[Path_, int] = {(): node.start_mark.line + 1}
        _walk(loader, node, (), lines, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlFileError(f"{name}:{line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"{name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(name, data, lines)


def _read_bounded(path: Path, name: str) -> str:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise YamlFileError(f"{name}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise YamlFileError(f"{name}: larger than {MAX_BYTES} bytes")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlFileError(f"{name}: cannot read file ({exc.__class__.__name__})") from None
    if len(data) > MAX_BYTES:
        raise YamlFileError(f"{name}: larger than {MAX_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlFileError(f"{name}: not UTF-8 text") from None


def _refuse_aliases(text: str, name: str) -> None:
    """Scan the event stream (linear, nothing expanded) for the first ``*alias``."""
    if "*" not in text:
        return  # no alias without a '*': spares every rule file a second parse at start-up
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise YamlFileError(f"{name}:{line}: aliases (*name) are not allowed in rule "
                                    "and profile files; write the value out")
    except yaml.MarkedYAMLError:
        return  # reported, with its line, by the full load that follows


def _walk(loader: Any, node: yaml.Node, path: Path_, lines: dict[Path_, int], name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (dict, list)):
                raise YamlFileError(f"{name}:{line}: a key must be a plain value")
            if key in seen:
                raise YamlFileError(
                    f"{name}:{line}: duplicate key {key!r} (first on line {seen[key]})"
                )
            seen[key] = line
            child = (*path, key)
            lines[child] = line
            _walk(loader, value_node, child, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, i)
            lines[child] = item.start_mark.line + 1
            _walk(loader, item, child, lines, name)
