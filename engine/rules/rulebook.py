"""Load rule files from packs and validate them strictly (compiling them is evaluation's job).

Errors name the file and line (``rules/england/ENG-ICPC-15WD.yaml:12: ...``).  A broken rule file
never stops the others from loading: the library collects every problem so that ``rules lint``
can list them all, and anything that evaluates refuses to run while any remain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.calendar import Duration, unit_suggestion
from engine.records.vocabulary import Vocabulary
from engine.rules.yamlsource import YamlDocument, YamlFileError, load_yaml

from .schema import RuleFile, did_you_mean

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_ROOT / "rules"


class RuleError(ValueError):
    """A rule file problem, already formatted as ``file:line: message``."""


@dataclass
class LoadedRule:
    rule: RuleFile
    pack: str
    path: Path
    doc: YamlDocument

    @property
    def id(self) -> str:
        return self.rule.id

    def where(self, *path: str | int) -> str:
        return self.doc.where(path)


@dataclass
class RuleLibrary:
    rules: dict[str, LoadedRule] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    pack_dirs: list[str] = field(default_factory=list)

    def pack(self, name: str) -> list[LoadedRule]:
        return [r for r in self.rules.values() if r.pack == name]

    @property
    def packs(self) -> list[str]:
        return sorted({r.pack for r in self.rules.values()} | set(self.pack_dirs))


def format_validation_error(doc: YamlDocument, exc: ValidationError,
                            prefix: tuple[str | int, ...] = ()) -> list[str]:
    """Pydantic errors as ``file:line: where: message`` lines."""
    lines: list[str] = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = (*prefix, *loc)
        ctx = err.get("ctx") or {}
        if err["type"] == "unknown_key" and "key" in ctx:
            path = (*path, ctx["key"])
        where = ".".join(str(p) for p in path) or "(top)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{doc.where(path)}: {where}: {msg}")
    return lines


def load_library(rules_dir: Path = RULES_DIR, vocabulary: Vocabulary | None = None,
                 packs: list[str] | None = None) -> RuleLibrary:
    """Every ``rules/<pack>/*.yaml`` file (or those of ``packs``), validated; problems are
    collected, not raised."""
    vocab = vocabulary or Vocabulary.builtin()
    library = RuleLibrary(pack_dirs=sorted(p.name for p in rules_dir.iterdir() if p.is_dir()))
    for path in sorted(rules_dir.glob("*/*.yaml")):
        pack = path.parent.name
        if packs is not None and pack not in packs:
            continue
        try:
            doc = load_yaml(path, None)
        except YamlFileError as exc:
            library.errors.append(str(exc))
            continue
        if not isinstance(doc.data, dict):
            library.errors.append(f"{doc.where(())}: a rule file must be a mapping of keys")
            continue
        try:
            rule = RuleFile.model_validate(doc.data, context={"vocabulary": vocab})
        except ValidationError as exc:
            library.errors.extend(format_validation_error(doc, exc))
            continue
        if rule.id != path.stem:
            library.errors.append(
                f"{doc.where(('id',))}: id {rule.id!r} must match the file name {path.stem!r}"
            )
            continue
        if rule.id in library.rules:
            other = library.rules[rule.id].path
            library.errors.append(f"{doc.where(('id',))}: id {rule.id!r} also used by {other}")
            continue
        library.rules[rule.id] = LoadedRule(rule, pack, path, doc)
    _check_references(library)
    return library


def _check_references(library: RuleLibrary) -> None:
    for loaded in list(library.rules.values()):
        if loaded.rule.start_from is not None:
            problem = _start_from_problem(library, loaded.rule)
            if problem:
                library.errors.append(f"{loaded.where('start_from')}: {problem}")
                del library.rules[loaded.id]
                continue
        ref = loaded.rule.deadline
        if ref is None:
            continue
        target = library.rules.get(ref.schedule)
        if target is None or target.rule.kind != "schedule":
            library.errors.append(
                f"{loaded.where('deadline', 'schedule')}: {ref.schedule!r} is not a schedule rule"
                f"{did_you_mean(ref.schedule, set(library.rules))}"
            )
            del library.rules[loaded.id]


def _start_from_problem(library: RuleLibrary, rule: RuleFile) -> str | None:
    """Why a schedule's ``start_from`` cannot be used: it must name a follow-up rule anchored on
    the starts of the schedule's episodes whose target is the schedule's ``start`` event."""
    name = rule.start_from
    other = library.rules.get(name or "")
    if other is None or other.rule.kind != "follow-up":
        return f"{name!r} is not a follow-up rule{did_you_mean(str(name), set(library.rules))}"
    anchor, target = other.rule.anchor, other.rule.target
    assert rule.over is not None and rule.start is not None
    if (anchor is None or not anchor.episode or anchor.for_each
            or sorted(anchor.episode_types) != sorted(rule.over.episode_types)):
        return f"{name!r} must be anchored on the start of each episode the schedule is over"
    if target is None or target.event != rule.start.event:
        return f"{name!r} must have the schedule's start event ({rule.start.event}) as target"
    return None


def resolve_params(loaded: LoadedRule, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overridden by a profile or a test; unknown names and bad values are errors."""
    values = {name: p.default for name, p in loaded.rule.params.items()}
    for name, value in (overrides or {}).items():
        if name not in values:
            raise RuleError(
                f"{loaded.id}: unknown parameter {name!r}{did_you_mean(name, set(values))}"
            )
        default = values[name]
        if isinstance(default, str) and not isinstance(value, str):
            raise RuleError(f"{loaded.id}: parameter {name!r} must be a duration like {default!r}")
        if isinstance(default, str):
            try:
                Duration.parse(value)
            except ValueError as exc:
                hint = ""
                parts = str(value).split(maxsplit=1)
                if len(parts) == 2 and unit_suggestion(parts[1]):
                    hint = f"; did you mean {unit_suggestion(parts[1])[0]!r}?"
                raise RuleError(f"{loaded.id}: parameter {name!r}: {exc}{hint}") from None
        values[name] = value
    return values
