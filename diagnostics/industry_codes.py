"""Industry codes (国民经济行业分类, GB/T 4754-2017) for the two pilot industries.

Names and codes follow GB/T 4754-2017 as revised by its 2019 amendment (第1号修改单, 国统字〔2019〕66号).
Only the parts of the classification the pilots need are encoded:

- ceramics: group 307 陶瓷制品制造 (in division 30 非金属矿物制品业, which is not itself encoded because
  it also covers cement, glass, refractories... that are not part of the ceramics pilot);
- non-ferrous metals: division 32 有色金属冶炼和压延加工业, division 09 有色金属矿采选业 (mining) and
  class 3392 有色金属铸造 (non-ferrous casting, in group 339 of division 33, which is not encoded).

Enterprises pick their 4-digit class (小类) when they register; reports aggregate by industry. Keeping the
table small and explicit makes a wrong pick impossible in the form and lets :func:`industry_of` map any
stored code to its pilot without string-prefix guesswork. English names are descriptive translations,
not an official text.

Codes are written without the section letter (``3071``, not ``C3071``); the lookup functions accept
the letter-prefixed form too, because enterprises often copy it from their statistical registration.
"""

from __future__ import annotations

from dataclasses import dataclass

INDUSTRIES: dict[str, dict[str, str]] = {
    "ceramics": {"zh": "陶瓷", "en": "Ceramics"},
    "nonferrous": {"zh": "有色金属", "en": "Non-ferrous metals"},
}


@dataclass(frozen=True)
class IndustryCode:
    """One entry of the classification: a division (2 digits), group (3) or class (4).

    ``parent`` is the next level up; for the top entry of a pilot it is the enclosing division when that
    exists (``"30"`` for group 307, not encoded here) and ``None`` for a division. ``industry`` is the
    pilot the code belongs to: "ceramics" or "nonferrous".
    """

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    industry: str

    @property
    def level(self) -> str:
        """The level name ("division", "group" or "class"), from the number of digits (2, 3, 4)."""
        return {2: "division", 3: "group", 4: "class"}[len(self.code)]


_ROWS: tuple[tuple[str, str, str, str | None, str], ...] = (
    # Ceramics (section C, division 30 非金属矿物制品业).
    ("307", "陶瓷制品制造", "Manufacture of ceramic products", "30", "ceramics"),
    ("3071", "建筑陶瓷制品制造", "Manufacture of building ceramic products", "307", "ceramics"),
    ("3072", "卫生陶瓷制品制造", "Manufacture of sanitary ceramic products", "307", "ceramics"),
    ("3073", "特种陶瓷制品制造", "Manufacture of special (technical) ceramic products", "307", "ceramics"),
    ("3074", "日用陶瓷制品制造", "Manufacture of daily-use ceramic products", "307", "ceramics"),
    ("3075", "陈设艺术陶瓷制造", "Manufacture of decorative art ceramics", "307", "ceramics"),
    ("3076", "园艺陶瓷制造", "Manufacture of garden ceramics", "307", "ceramics"),
    ("3079", "其他陶瓷制品制造", "Manufacture of other ceramic products", "307", "ceramics"),
    # Non-ferrous metal smelting and rolling (section C, division 32).
    ("32", "有色金属冶炼和压延加工业", "Smelting and rolling of non-ferrous metals", None, "nonferrous"),
    ("321", "常用有色金属冶炼", "Smelting of common non-ferrous metals", "32", "nonferrous"),
    ("3211", "铜冶炼", "Copper smelting", "321", "nonferrous"),
    ("3212", "铅锌冶炼", "Lead and zinc smelting", "321", "nonferrous"),
    ("3213", "镍钴冶炼", "Nickel and cobalt smelting", "321", "nonferrous"),
    ("3214", "锡冶炼", "Tin smelting", "321", "nonferrous"),
    ("3215", "锑冶炼", "Antimony smelting", "321", "nonferrous"),
    ("3216", "铝冶炼", "Aluminium smelting", "321", "nonferrous"),
    ("3217", "镁冶炼", "Magnesium smelting", "321", "nonferrous"),
    ("3218", "硅冶炼", "Silicon smelting", "321", "nonferrous"),
    ("3219", "其他常用有色金属冶炼", "Smelting of other common non-ferrous metals", "321", "nonferrous"),
    ("322", "贵金属冶炼", "Smelting of precious metals", "32", "nonferrous"),
    ("3221", "金冶炼", "Gold smelting", "322", "nonferrous"),
    ("3222", "银冶炼", "Silver smelting", "322", "nonferrous"),
    ("3229", "其他贵金属冶炼", "Smelting of other precious metals", "322", "nonferrous"),
    ("323", "稀有稀土金属冶炼", "Smelting of rare and rare-earth metals", "32", "nonferrous"),
    ("3231", "钨钼冶炼", "Tungsten and molybdenum smelting", "323", "nonferrous"),
    ("3232", "稀土金属冶炼", "Rare-earth metal smelting", "323", "nonferrous"),
    ("3239", "其他稀有金属冶炼", "Smelting of other rare metals", "323", "nonferrous"),
    ("324", "有色金属合金制造", "Manufacture of non-ferrous metal alloys", "32", "nonferrous"),
    ("3240", "有色金属合金制造", "Manufacture of non-ferrous metal alloys", "324", "nonferrous"),
    ("325", "有色金属压延加工", "Rolling and processing of non-ferrous metals", "32", "nonferrous"),
    ("3251", "铜压延加工", "Copper rolling and processing", "325", "nonferrous"),
    ("3252", "铝压延加工", "Aluminium rolling and processing", "325", "nonferrous"),
    ("3253", "贵金属压延加工", "Precious metal rolling and processing", "325", "nonferrous"),
    ("3254", "稀有稀土金属压延加工", "Rare and rare-earth metal rolling and processing", "325", "nonferrous"),
    (
        "3259",
        "其他有色金属压延加工",
        "Rolling and processing of other non-ferrous metals",
        "325",
        "nonferrous",
    ),
    # Non-ferrous metal casting sits in division 33 (金属制品业), group 339, class 3392 (GB/T 4754-2017);
    # it belongs to non-ferrous processing clusters (DOMAIN.md §6), so it is listed here without its
    # division and group (as 307 without 30): those are otherwise metal products, not non-ferrous metals.
    ("3392", "有色金属铸造", "Non-ferrous metal casting", "339", "nonferrous"),
    # Non-ferrous metal ore mining (section B, division 09).
    ("09", "有色金属矿采选业", "Mining and dressing of non-ferrous metal ores", None, "nonferrous"),
    ("091", "常用有色金属矿采选", "Mining and dressing of common non-ferrous metal ores", "09", "nonferrous"),
    ("0911", "铜矿采选", "Copper ore mining and dressing", "091", "nonferrous"),
    ("0912", "铅锌矿采选", "Lead and zinc ore mining and dressing", "091", "nonferrous"),
    ("0913", "镍钴矿采选", "Nickel and cobalt ore mining and dressing", "091", "nonferrous"),
    ("0914", "锡矿采选", "Tin ore mining and dressing", "091", "nonferrous"),
    ("0915", "锑矿采选", "Antimony ore mining and dressing", "091", "nonferrous"),
    ("0916", "铝矿采选", "Aluminium ore mining and dressing", "091", "nonferrous"),
    ("0917", "镁矿采选", "Magnesium ore mining and dressing", "091", "nonferrous"),
    (
        "0919",
        "其他常用有色金属矿采选",
        "Mining and dressing of other common non-ferrous metal ores",
        "091",
        "nonferrous",
    ),
    ("092", "贵金属矿采选", "Mining and dressing of precious metal ores", "09", "nonferrous"),
    ("0921", "金矿采选", "Gold ore mining and dressing", "092", "nonferrous"),
    ("0922", "银矿采选", "Silver ore mining and dressing", "092", "nonferrous"),
    ("0929", "其他贵金属矿采选", "Mining and dressing of other precious metal ores", "092", "nonferrous"),
    (
        "093",
        "稀有稀土金属矿采选",
        "Mining and dressing of rare and rare-earth metal ores",
        "09",
        "nonferrous",
    ),
    ("0931", "钨钼矿采选", "Tungsten and molybdenum ore mining and dressing", "093", "nonferrous"),
    ("0932", "稀土金属矿采选", "Rare-earth metal ore mining and dressing", "093", "nonferrous"),
    ("0933", "放射性金属矿采选", "Radioactive metal ore mining and dressing", "093", "nonferrous"),
    ("0939", "其他稀有金属矿采选", "Mining and dressing of other rare metal ores", "093", "nonferrous"),
)

INDUSTRY_CODES: dict[str, IndustryCode] = {row[0]: IndustryCode(*row) for row in _ROWS}

# GB/T 4754 sections (门类) of the encoded divisions, to accept "C3071" / "B0911" style input.
_SECTIONS = {"30": "C", "32": "C", "33": "C", "09": "B"}


def _normalise(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    text = "".join(code.split()).upper()
    if text[:1].isalpha():
        section, text = text[0], text[1:]
        if _SECTIONS.get(text[:2]) != section:
            return None
    return text


def lookup(code: str) -> IndustryCode | None:
    """The entry for ``code`` (``"3071"``, ``" C3071 "``...), or ``None`` if it is not a pilot code.

    A section letter that contradicts the code (``"B3071"``) gives ``None``: the enterprise has mixed
    up two codes and should be asked again rather than have one silently chosen.
    """
    normalised = _normalise(code)
    if normalised is None:
        return None
    return INDUSTRY_CODES.get(normalised)


def industry_of(code: str) -> str | None:
    """The pilot industry ("ceramics" / "nonferrous") of ``code``, found by walking up its parents.

    Walking up (rather than trusting the entry's own field alone) means a table edit that files a class
    under the wrong group shows up as an inconsistency in the tests instead of a mis-aggregated report.
    """
    entry = lookup(code)
    if entry is None:
        return None
    while entry.parent is not None and entry.parent in INDUSTRY_CODES:
        entry = INDUSTRY_CODES[entry.parent]
    return entry.industry


def choices(industry: str | None = None) -> list[tuple[str, str]]:
    """``(code, "code 名称")`` pairs of 4-digit classes for a form dropdown, in code order.

    Only classes are offered because statistical registration records the class; divisions and groups
    are for aggregation. ``industry`` restricts the list to one pilot; an unknown name raises
    ``ValueError`` rather than returning an empty dropdown.
    """
    if industry is not None and industry not in INDUSTRIES:
        raise ValueError(f"unknown industry {industry!r}; expected one of {sorted(INDUSTRIES)}")
    return [
        (entry.code, f"{entry.code} {entry.name_zh}")
        for entry in sorted(INDUSTRY_CODES.values(), key=lambda e: e.code)
        if len(entry.code) == 4 and (industry is None or industry_of(entry.code) == industry)
    ]


def is_valid(code: str) -> bool:
    """Whether ``code`` is one of the encoded pilot codes (any level, section letter optional)."""
    return lookup(code) is not None
