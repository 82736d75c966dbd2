"""Bilingual text as it appears in questionnaire and taxonomy files.

Officials write definitions in Chinese first; English is optional. A plain YAML string is read as the
Chinese text so a definition stays readable (``title: 设备系统``), and ``{zh: ..., en: ...}`` gives both.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

# what no stored or written text holds: NUL and the other C0 controls except tab and line breaks, DEL, and
# the replacement character invalid UTF-8 decodes to. PostgreSQL refuses NUL in text; an XLSX cell
# stores the others as ``_x0001_``; nobody types them on purpose.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def strip_controls(value: str) -> str:
    """``value`` without control characters (tab, line feed and carriage return are kept)."""
    return CONTROL.sub("", value)


class Text(BaseModel):
    """A string in Chinese (required) and English (optional, falls back to Chinese)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_plain_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"zh": value}
        return value

    def get(self, locale: str | None = "zh") -> str:
        """The text for ``locale`` ("zh", "zh_CN", "en"...), Chinese when English is missing."""
        if locale and locale.lower().startswith("en") and self.en:
            return self.en
        return self.zh

    def __str__(self) -> str:
        return self.zh
