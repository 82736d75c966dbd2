"""Load questionnaire files, report every problem with its place, and fingerprint the content.

An official who mistypes a weight must be told which file, which item and what is wrong, e.g.
``sme.yaml: dimensions[2].indicators[0].questions[3].options: duplicate option code(s): B``, all
problems at once, not the first only. A definition that loads is also internally consistent: ids are
unique, expressions parse and name real questions, points add up to the stated maxima, gates name
real indicators.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from diagnostics import expr
from diagnostics.questionnaire import Questionnaire
from diagnostics.settings import settings

TOLERANCE = 1e-6
M = TypeVar("M", bound=BaseModel)
# the same constructor and resolver as SafeLoader over libyaml's parser; PyYAML without libyaml has only the latter
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DefinitionError:
    """One problem in a definition file, located by a path into the YAML structure."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.message}"


class DefinitionInvalid(ValueError):
    """Raised by ``load_file`` when a definition has errors; ``errors`` holds all of them."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class LoadedQuestionnaire:
    """A validated definition with the fingerprint stored submissions point at."""

    definition: Questionnaire
    content_hash: str
    path: Path | None
    source_text: str

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def version(self) -> str:
        return self.definition.version

    @property
    def ref(self) -> str:
        """Human-readable reference: ``code@version#hash12``."""
        return f"{self.code}@{self.version}#{self.content_hash[:12]}"


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('dimensions', 2, 'indicators', 0)`` -> ``dimensions[2].indicators[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union", "list[", "str", "dict[")):
            continue  # pydantic's union branch labels are noise to the reader
        else:
            out += ("." if out else "") + str(part)
    return out


def content_hash(definition: Questionnaire) -> str:
    """SHA-256 of the normalised definition: formatting and comments do not change it, content does."""
    canonical = json.dumps(definition.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_yaml(text: str, file: str, model: type[M], fields_hint: str) -> M:
    """Parse YAML ``text`` into ``model``; raise ``DefinitionInvalid`` with every error located.

    Shared by questionnaires, taxonomies and pilot targets, so all three report a YAML slip by line and
    column and a pydantic error by its path into the file, in the same words.
    """
    try:
        data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid([DefinitionError(file, where, f"YAML syntax: {problem}")]) from None
    if not isinstance(data, dict):
        raise DefinitionInvalid([DefinitionError(file, "", f"the file must hold a mapping ({fields_hint}, ...)")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [DefinitionError(file, format_loc(e["loc"]), _clean_msg(e)) for e in exc.errors()]
        raise DefinitionInvalid(errors) from None


def _parse_yaml(text: str) -> Any:
    """YAML ``text`` through libyaml's safe loader (about 10x faster than the pure-Python one: 0.1 s a
    questionnaire file, paid by every ``load_all``); a file it refuses is parsed again by the pure-Python
    ``safe_load``, whose error says where and why in the words the error report has always quoted."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 (safe: CSafeLoader is SafeLoader's C twin)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def read_text(path: Path) -> str:
    """A definition file's text; an unreadable file is a located error, not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionInvalid([DefinitionError(str(path), "", f"cannot read: {exc.strerror}")]) from None


def parse_text(text: str, file: str = "<text>") -> LoadedQuestionnaire:
    """Validate definition ``text``; raise ``DefinitionInvalid`` listing every error."""
    definition = validate_yaml(text, file, Questionnaire, "code, version")
    errors = check_references(definition, file)
    if errors:
        raise DefinitionInvalid(errors)
    return LoadedQuestionnaire(definition, content_hash(definition), None, text)


def _clean_msg(err: Any) -> str:
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if err.get("type") == "extra_forbidden":
        return "unknown field (misspelt?)"
    if err.get("type") == "missing":
        return "required field is missing"
    return msg


def check_references(q: Questionnaire, file: str) -> list[DefinitionError]:
    """Cross-checks pydantic cannot do field by field: uniqueness, references, arithmetic."""
    errors: list[DefinitionError] = []

    def err(path: str, message: str) -> None:
        errors.append(DefinitionError(file, path, message))

    all_ids = {qq.id for qq in q.questions()}
    seen_q: set[str] = set()
    seen_i: set[str] = set()
    seen_d: set[str] = set()
    scored_total = 0.0
    def check_applies(path: str, source: str | None, own: set[str]) -> None:
        if source is None:
            return
        try:
            parsed = expr.parse(source, all_ids)
        except expr.ExpressionError as exc:
            err(f"{path}.applies", f"{exc} in: {source}")
            return
        inside = sorted(parsed.names & own)
        if inside:
            err(f"{path}.applies", f"refers to its own question(s) {', '.join(inside)}: applicability must be "
                                   "decided by an answer outside the item")

    for di, dim in enumerate(q.dimensions):
        dpath = f"dimensions[{di}]"
        check_applies(dpath, dim.applies, {qq.id for ind in dim.indicators for qq in ind.questions})
        if dim.code in seen_d:
            err(f"{dpath}.code", f"duplicate dimension code '{dim.code}'")
        seen_d.add(dim.code)
        ind_total = 0.0
        for ii, ind in enumerate(dim.indicators):
            ipath = f"{dpath}.indicators[{ii}]"
            check_applies(ipath, ind.applies, {qq.id for qq in ind.questions})
            if ind.code in seen_i:
                err(f"{ipath}.code", f"duplicate indicator code '{ind.code}'")
            seen_i.add(ind.code)
            ind_total += ind.max_score
            reachable = 0.0
            for qi, question in enumerate(ind.questions):
                qpath = f"{ipath}.questions[{qi}]"
                if question.id in seen_q:
                    err(f"{qpath}.id", f"duplicate question id '{question.id}'")
                seen_q.add(question.id)
                reachable += question.max_possible()
                for field in ("relevant", "formula", "constraint"):
                    source = getattr(question, field)
                    if source is None:
                        continue
                    try:
                        parsed = expr.parse(source, all_ids)
                    except expr.ExpressionError as exc:
                        err(f"{qpath}.{field}", f"{exc} in: {source}")
                        continue
                    if field != "constraint" and question.id in parsed.names:
                        err(f"{qpath}.{field}", f"'{question.id}' refers to itself")
            if dim.scored and reachable + TOLERANCE < ind.max_points:
                err(f"{ipath}.max_points",
                    f"max_points is {ind.max_points:g} but its questions can give at most {reachable:g}")
            if ind.target is not None and ind.target > ind.max_score + TOLERANCE:
                err(f"{ipath}.target", f"target {ind.target:g} is above the indicator's maximum")
        if dim.scored:
            if abs(ind_total - dim.max_points) > TOLERANCE:
                err(f"{dpath}.max_points",
                    f"max_points is {dim.max_points:g} but its indicators add up to {ind_total:g}")
            scored_total += dim.max_score
    if abs(scored_total - q.max_score) > TOLERANCE:
        err("max_score", f"max_score is {q.max_score:g} but the scored dimensions add up to {scored_total:g}")

    scenario_ids = {s.id for s in q.scenario_questions()}
    binding_count = sum(1 for s in q.scenario_questions() if s.binding)
    numbers = [lv.level for lv in q.levels]
    for li, lv in enumerate(q.levels):
        lpath = f"levels[{li}]"
        if numbers.count(lv.level) > 1:
            err(f"{lpath}.level", f"level {lv.level} is defined more than once")
        if lv.min_score > q.max_score:
            err(f"{lpath}.min_score", f"min_score {lv.min_score:g} is above max_score {q.max_score:g}")
        for gi, gate in enumerate(lv.gates):
            gpath = f"{lpath}.gates[{gi}]"
            if gate.kind == "indicator" and gate.code not in seen_i:
                err(f"{gpath}.code", f"no indicator '{gate.code}'")
            if gate.kind == "dimension" and gate.code not in seen_d:
                err(f"{gpath}.code", f"no dimension '{gate.code}'")
            if gate.kind == "scenarios":
                if isinstance(gate.among, list):
                    unknown = [s for s in gate.among if s not in scenario_ids]
                    if unknown:
                        err(f"{gpath}.among", f"not scenario (level) questions: {', '.join(unknown)}")
                    pool = len(gate.among)
                else:
                    pool = binding_count if gate.among == "binding" else len(scenario_ids)
                if gate.at_least > pool:
                    err(f"{gpath}.at_least",
                        f"needs {gate.at_least:g} scenarios but only {pool} are in '{gate.among}'")
    ordered = sorted(q.levels, key=lambda lv: lv.level)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.min_score < a.min_score:
            err("levels", f"level {b.level} needs fewer points ({b.min_score:g}) than level {a.level}")
    return errors


def load_file(path: str | Path) -> LoadedQuestionnaire:
    """Load and validate one definition file."""
    path = Path(path)
    text = read_text(path)
    loaded = parse_text(text, path.name)
    return LoadedQuestionnaire(loaded.definition, loaded.content_hash, path, text)


def shipped_files(directory: Path | None = None) -> list[Path]:
    """The definition files shipped in ``questionnaires/`` (taxonomies and targets live in subfolders)."""
    directory = directory or settings.questionnaire_dir
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_all(directory: Path | None = None) -> dict[str, LoadedQuestionnaire]:
    """Every shipped questionnaire by code (the highest version when a code has several files)."""
    out: dict[str, LoadedQuestionnaire] = {}
    for path in shipped_files(directory):
        loaded = load_file(path)
        current = out.get(loaded.code)
        if current is None or _version_key(loaded.version) > _version_key(current.version):
            out[loaded.code] = loaded
    return out


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def resolve(code_or_path: str) -> LoadedQuestionnaire:
    """A shipped questionnaire by code, or a definition file by path (the CLI accepts both)."""
    candidate = Path(code_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return load_file(candidate)
    found = load_all()
    if code_or_path not in found:
        known = ", ".join(sorted(found)) or "none"
        raise DefinitionInvalid(
            [DefinitionError(code_or_path, "", f"no questionnaire with this code (known: {known})")])
    return found[code_or_path]
