"""Unified social credit code (统一社会信用代码, GB 32100-2015): normalise, validate, describe.

Every enterprise that takes part in a pilot is identified by its unified social credit code, and the code
is typed by hand (often copied from a scanned business licence, a WeChat message or a spreadsheet). So
input is normalised first (whitespace, full-width characters, lower case are all common and harmless),
and when a code is rejected the user is told *which* rule failed and where, in Chinese and English, so
they can correct it without calling the help desk.

Structure (18 characters)::

    position 1      registration-authority code (登记管理部门代码)
    position 2      entity-type code (机构类别代码), meaning depends on position 1
    positions 3-8   administrative-division code of the registering authority (GB/T 2260)
    positions 9-17  organisation / body identifier (主体标识码, GB 11714 organisation code)
    position 18     check character (GB/T 17710 MOD 31-3 style)

The alphabet is ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (31 characters, no I, O, S, V, Z), valued 0..30.

Deliberately **not** enforced:

- Digits in positions 1-8. Registration authorities and entity types may be letters (``A``, ``N``,
  ``Y``...), so a validator that insists on digits there (as ``python-stdnum``'s ``cn.uscc`` does) would
  reject legitimately registered bodies.
- The inner GB 11714 check character of the organisation code (position 17). The standard only makes the
  outer check character part of the unified code, and we do not want to rely on every body identifier
  ever issued also satisfying GB 11714: a false rejection stops a real enterprise from registering for
  a pilot, while a mistyped code is already caught by the outer check. It is offered separately, as an
  advisory check, by :func:`organisation_code_ok`.

A code that passes validation is *well formed*; that says nothing about whether it is registered.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters allowed in a unified social credit code, in value order (value = index)."""

FORBIDDEN_LETTERS = "IOSVZ"
"""Letters excluded from the alphabet because they are easily confused with digits (1, 0, 5, U, 2)."""

LENGTH = 18

_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
_VALUE_TABLE = np.full(256, -1, dtype=np.int64)
_VALUE_TABLE[[ord(char) for char in ALPHABET]] = np.arange(len(ALPHABET))

REGISTRATION_AUTHORITIES: dict[str, dict[str, str]] = {
    "1": {"zh": "机构编制", "en": "Institutional establishment administration"},
    "5": {"zh": "民政", "en": "Civil affairs"},
    "9": {"zh": "市场监管（原工商）", "en": "Market regulation (formerly industry and commerce)"},
    "Y": {"zh": "其他", "en": "Other registration authorities"},
}
"""Position 1: who registered the entity. Only the authorities the pilots meet in practice are named."""

ENTITY_TYPES: dict[tuple[str, str], dict[str, str]] = {
    ("1", "1"): {"zh": "机关", "en": "Government organ"},
    ("1", "2"): {"zh": "事业单位", "en": "Public institution"},
    ("1", "9"): {"zh": "其他", "en": "Other"},
    ("5", "1"): {"zh": "社会团体", "en": "Social organisation"},
    ("5", "2"): {"zh": "民办非企业单位", "en": "Private non-enterprise unit"},
    ("5", "3"): {"zh": "基金会", "en": "Foundation"},
    ("5", "9"): {"zh": "其他", "en": "Other"},
    ("9", "1"): {"zh": "企业", "en": "Enterprise"},
    ("9", "2"): {"zh": "个体工商户", "en": "Individual business"},
    ("9", "3"): {"zh": "农民专业合作社", "en": "Farmers' specialised cooperative"},
    ("Y", "1"): {"zh": "其他", "en": "Other"},
}
"""Position 2: what kind of entity it is. The meaning depends on the authority, hence the pair key."""

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class UsccResult:
    """Outcome of :func:`validate_uscc`.

    ``rule`` names the first rule that failed ("empty", "length", "alphabet", "check_character") so a
    form can highlight the problem and a data-quality report can count failures by kind; it is ``None``
    when the code is well formed. ``code`` is always the normalised input, so callers store that rather
    than what the user typed.
    """

    code: str
    ok: bool
    rule: str | None
    message_zh: str
    message_en: str


def normalise_uscc(raw: str) -> str:
    """Return ``raw`` with all whitespace removed, full-width characters folded, and letters upper-cased.

    Codes copied from Chinese documents often come with full-width digits and letters (``９１１１…``),
    ideographic spaces (U+3000) or spaces every few characters for readability; none of these change
    the code, so they should not make it fail. NFKC folds full-width forms to ASCII.
    """
    folded = unicodedata.normalize("NFKC", raw or "")
    return "".join(folded.split()).upper()


def _check_value(first17: str) -> int:
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return (31 - total % 31) % 31


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code.

    Each character's value is multiplied by 3^i mod 31 (i = 0..16); the check value is
    31 - (sum mod 31), where 31 maps to 0, and it is written with the same alphabet. ``first17`` must
    already be normalised; a wrong length or a character outside the alphabet raises ``ValueError``
    because there is no meaningful check character for it.
    """
    if len(first17) != LENGTH - 1:
        raise ValueError(f"expected 17 characters to compute a check character, got {len(first17)}")
    for position, char in enumerate(first17, start=1):
        if char not in _VALUES:
            raise ValueError(f"character {char!r} at position {position} is not in the USCC alphabet")
    return ALPHABET[_check_value(first17)]


def make_uscc(first17: str) -> str:
    """Append the correct check character to ``first17`` (after normalising it).

    Used by demo-data generators and tests, which need plausible codes that pass validation without
    using any real enterprise's identity.
    """
    body = normalise_uscc(first17)
    return body + check_character(body)


def _fail(code: str, rule: str, message_zh: str, message_en: str) -> UsccResult:
    return UsccResult(code=code, ok=False, rule=rule, message_zh=message_zh, message_en=message_en)


def validate_uscc(raw: str) -> UsccResult:
    """Check a unified social credit code and say precisely what is wrong with it, if anything.

    Rules are checked in the order a person would fix them: is anything there, is it 18 characters,
    is every character allowed, does the check character match. Only the first failure is reported,
    because later rules are meaningless when an earlier one fails (a check character cannot be
    computed over a character that is not in the alphabet).
    """
    code = normalise_uscc(raw)
    if not code:
        return _fail(
            code, "empty", "请填写统一社会信用代码。", "Please enter the unified social credit code."
        )

    if len(code) != LENGTH:
        return _fail(
            code,
            "length",
            f"统一社会信用代码应为18位，当前输入了{len(code)}位。",
            f"A unified social credit code has 18 characters; {len(code)} were given.",
        )

    for position, char in enumerate(code, start=1):
        if char in _VALUES:
            continue
        if char in FORBIDDEN_LETTERS:
            zh_reason = "统一社会信用代码不使用字母 I、O、S、V、Z"
            en_reason = "the letters I, O, S, V and Z are never used"
        else:
            zh_reason = "只允许数字和大写字母（不含 I、O、S、V、Z）"
            en_reason = "only digits and capital letters other than I, O, S, V, Z are allowed"
        return _fail(
            code,
            "alphabet",
            f"第{position}位的字符“{char}”无效：{zh_reason}。",
            f"Character '{char}' at position {position} is not allowed: {en_reason}.",
        )

    expected = check_character(code[:17])
    given = code[17]
    if given != expected:
        return _fail(
            code,
            "check_character",
            f"校验码不符：按前17位计算第18位应为“{expected}”，实际为“{given}”。请核对是否有输错或颠倒的字符。",
            f"Check character mismatch: from the first 17 characters, position 18 should be '{expected}' "
            f"but '{given}' was given. Look for a mistyped or swapped character.",
        )

    return UsccResult(
        code=code,
        ok=True,
        rule=None,
        message_zh="统一社会信用代码格式正确。",
        message_en="The unified social credit code is well formed.",
    )


def well_formed_array(raw: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """The array form of :func:`validate_uscc` for a census column: (normalised codes, ok mask).

    Same rules as the scalar function (one normalisation, 18 characters, the alphabet, the check
    character), applied to all codes at once with numpy; callers ask :func:`validate_uscc` for the
    message of the few codes that fail, so the wording lives in one place.
    """
    # an ASCII letters-and-digits cell (nearly all of them) has nothing to fold or strip: upper-casing is
    # all normalise_uscc would do to it
    codes = np.array([v.upper() if v.isascii() and v.isalnum() else normalise_uscc(v) for v in raw], dtype=object)
    ok = np.zeros(len(codes), dtype=bool)
    if not len(codes):
        return codes, ok
    lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=len(codes))
    ascii_ = np.fromiter((c.isascii() for c in codes), dtype=bool, count=len(codes))
    candidates = np.nonzero((lengths == LENGTH) & ascii_)[0]
    if len(candidates):
        chars = np.frombuffer("".join(codes[candidates]).encode("ascii"), dtype=np.uint8).reshape(-1, LENGTH)
        values = _VALUE_TABLE[chars]  # -1 outside the alphabet
        valid = (values >= 0).all(axis=1)
        total = values[:, : LENGTH - 1].astype(np.int64) @ np.array(_WEIGHTS, dtype=np.int64)
        ok[candidates] = valid & ((31 - total % 31) % 31 == values[:, LENGTH - 1])
    return codes, ok


def registration_authority(char: str) -> dict[str, str] | None:
    """Names (``{"zh", "en"}``) of the registration authority coded by position 1, or ``None`` if unknown."""
    return REGISTRATION_AUTHORITIES.get(normalise_uscc(char))


def entity_type(authority: str, char: str) -> dict[str, str] | None:
    """Names of the entity type coded by position 2 under ``authority``, or ``None`` if unknown."""
    return ENTITY_TYPES.get((normalise_uscc(authority), normalise_uscc(char)))


def describe_uscc(code: str) -> dict[str, Any]:
    """Split a code into its parts and name what is known about them.

    Works on any 18-character input (it does not re-validate the check character) so that an
    administrator looking at a rejected code can still see which region and entity type it claims.
    Unknown authority or entity-type codes are returned with ``None`` names, not rejected, because the
    lookup tables only cover the common cases. Raises ``ValueError`` if the normalised code is not 18
    characters long, since the positions would then mean nothing.
    """
    normalised = normalise_uscc(code)
    if len(normalised) != LENGTH:
        raise ValueError(f"a unified social credit code has 18 characters; {len(normalised)} were given")
    authority_code, type_code = normalised[0], normalised[1]
    authority_names = REGISTRATION_AUTHORITIES.get(authority_code) or {}
    type_names = ENTITY_TYPES.get((authority_code, type_code)) or {}
    return {
        "code": normalised,
        "authority": {
            "code": authority_code,
            "zh": authority_names.get("zh"),
            "en": authority_names.get("en"),
        },
        "entity_type": {"code": type_code, "zh": type_names.get("zh"), "en": type_names.get("en")},
        "division_code": normalised[2:8],
        "organisation_code": normalised[8:17],
        "check_character": normalised[17],
    }


def organisation_code_ok(organisation_code: str) -> bool:
    """Advisory GB 11714 check of the 9-character organisation code (positions 9-17 of a USCC).

    The first 8 characters (digits, or letters A-Z valued 10-35) are weighted 3, 7, 9, 10, 5, 8, 4, 2;
    the check is 11 - (sum mod 11), with 10 written ``X`` and 11 written ``0``. Not part of
    :func:`validate_uscc` (see the module docstring): use it to flag a code for review, never to reject.
    """
    body = normalise_uscc(organisation_code)
    if len(body) != 9:
        return False
    total = 0
    for char, weight in zip(body[:8], _GB11714_WEIGHTS, strict=True):
        if char.isdigit() and char.isascii():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            return False
        total += value * weight
    check = 11 - total % 11
    expected = "X" if check == 10 else "0" if check == 11 else str(check)
    return body[8] == expected
