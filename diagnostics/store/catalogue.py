"""The shipped questionnaires and taxonomies for long-running processes: cached, and never fatal; and
which questionnaires an enterprise is offered.

``diagnostics.questionnaire_loader.load_all`` parses every YAML file on each call; a page view must not
pay that, so the parsed set is cached and re-read only when a file's modification time changes (an
official can update a definition without restarting the app). A missing or broken taxonomy must not take
the diagnosis page down either: it only means no recommendations, so lookups here return ``None``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from diagnostics.industry_codes import industry_of
from diagnostics.questionnaire_loader import DefinitionInvalid, LoadedQuestionnaire, load_all, shipped_files
from diagnostics.settings import settings
from diagnostics.store.models import Enterprise, QuestionnaireVersion
from diagnostics.store.repo import register_questionnaire
from diagnostics.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass
class _Cache:
    key: tuple[object, ...] | None = None
    value: dict[str, LoadedQuestionnaire] = field(default_factory=dict)


_cache = _Cache()


def _fingerprint(directory: Path) -> tuple[object, ...]:
    return (str(directory), *((p.name, p.stat().st_mtime_ns) for p in shipped_files(directory)))


def shipped() -> dict[str, LoadedQuestionnaire]:
    """Every shipped questionnaire by code, parsed once per change of the files."""
    directory = settings.questionnaire_dir
    key = _fingerprint(directory)
    with _lock:
        if _cache.key != key:
            _cache.value = load_all(directory)
            _cache.key = key
        return dict(_cache.value)


def current_version(session: Session, code: str) -> QuestionnaireVersion:
    """The stored version row for the shipped file of ``code`` (registered on first sight)."""
    loaded = shipped().get(code)
    if loaded is None:
        raise KeyError(code)
    return register_questionnaire(session, loaded)


def current_hash(code: str) -> str | None:
    loaded = shipped().get(code)
    return loaded.content_hash if loaded else None


def offered_to(enterprise: Enterprise) -> list[LoadedQuestionnaire]:
    """Questionnaires an enterprise may fill: general ones, plus modules of its own industry."""
    industry = industry_for(enterprise)
    found = [lq for lq in shipped().values() if lq.definition.industry in (None, industry)]
    return sorted(found, key=lambda lq: (lq.definition.industry is not None, lq.code))


def industry_for(enterprise: Enterprise) -> str | None:
    """The enterprise's taxonomy: its cluster's industry, else derived from its GB/T 4754 code."""
    if enterprise.cluster is not None and enterprise.cluster.industry:
        return enterprise.cluster.industry
    return industry_of(enterprise.industry_code) if enterprise.industry_code else None


def taxonomy(code: str | None) -> Taxonomy | None:
    if not code:
        return None
    try:
        return load_taxonomy(code)
    except DefinitionInvalid as exc:
        log.warning("taxonomy %s unavailable: %s", code, exc)
        return None

