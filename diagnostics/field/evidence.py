"""Which evidence files are accepted: the type is read from the content (magic bytes), not the name.

A photo from a phone, a PDF or an XLSX workbook; anything else, or a file whose content does not match
what it claims, is refused with a message. The signatures: JPEG ``FF D8 FF``, PNG ``89 50 4E 47 0D 0A
1A 0A``, WebP ``RIFF....WEBP``, HEIC/HEIF ``....ftypheic|heix|mif1`` (ISO/IEC 23008-12), PDF ``%PDF-``
(ISO 32000), XLSX a ZIP (``PK\\x03\\x04``) holding ``xl/workbook.xml`` (ECMA-376).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
"""10 MB: a phone photo is 2-5 MB; larger files are usually videos or scans that belong elsewhere."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # photo | pdf | xlsx
    content_type: str
    extension: str


class EvidenceRefused(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def sniff(data: bytes) -> Sniffed | None:
    """The accepted type of ``data`` by its first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("photo", "image/jpeg", ".jpg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("photo", "image/png", ".png")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("photo", "image/webp", ".webp")
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return Sniffed("photo", "image/heic", ".heic")
    if data.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf", ".pdf")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return Sniffed("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   ".xlsx")
        except zipfile.BadZipFile:
            return None
    return None


def check(data: bytes, *, max_bytes: int = MAX_BYTES) -> tuple[Sniffed, str]:
    """The file's type and SHA-256, or ``EvidenceRefused`` saying why not."""
    if not data:
        raise EvidenceRefused("文件是空的", "the file is empty")
    if len(data) > max_bytes:
        megabytes = max_bytes // (1024 * 1024)
        raise EvidenceRefused(f"文件超过 {megabytes} MB", f"the file is over {megabytes} MB")
    found = sniff(data)
    if found is None:
        raise EvidenceRefused("只接受照片（JPEG、PNG、WebP、HEIC）、PDF 或 XLSX 文件（按文件内容判断）",
                              "only photos (JPEG, PNG, WebP, HEIC), PDF or XLSX files are accepted "
                              "(judged by the content)")
    return found, hashlib.sha256(data).hexdigest()


def safe_filename(name: str, sniffed: Sniffed) -> str:
    """The name to offer on download: the uploaded base name (no path), with the extension of its content."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "evidence"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    cleaned = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>|:*?')[:120] or "evidence"
    return cleaned + sniffed.extension
