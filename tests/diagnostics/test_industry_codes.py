"""Tests for diagnostics.industry_codes (GB/T 4754-2017, pilot industries only)."""

from __future__ import annotations

import pytest

from diagnostics.industry_codes import (
    INDUSTRIES,
    INDUSTRY_CODES,
    IndustryCode,
    choices,
    industry_of,
    is_valid,
    lookup,
)

CERAMIC_CLASSES = {
    "3071": "建筑陶瓷制品制造",
    "3072": "卫生陶瓷制品制造",
    "3073": "特种陶瓷制品制造",
    "3074": "日用陶瓷制品制造",
    "3075": "陈设艺术陶瓷制造",
    "3076": "园艺陶瓷制造",
    "3079": "其他陶瓷制品制造",
}

SMELTING_CLASSES = {
    "3211": "铜冶炼",
    "3212": "铅锌冶炼",
    "3213": "镍钴冶炼",
    "3214": "锡冶炼",
    "3215": "锑冶炼",
    "3216": "铝冶炼",
    "3217": "镁冶炼",
    "3218": "硅冶炼",
    "3219": "其他常用有色金属冶炼",
    "3221": "金冶炼",
    "3222": "银冶炼",
    "3229": "其他贵金属冶炼",
    "3231": "钨钼冶炼",
    "3232": "稀土金属冶炼",
    "3239": "其他稀有金属冶炼",
    "3240": "有色金属合金制造",
    "3251": "铜压延加工",
    "3252": "铝压延加工",
    "3253": "贵金属压延加工",
    "3254": "稀有稀土金属压延加工",
    "3259": "其他有色金属压延加工",
}

MINING_CLASSES = {
    "0911": "铜矿采选",
    "0912": "铅锌矿采选",
    "0913": "镍钴矿采选",
    "0914": "锡矿采选",
    "0915": "锑矿采选",
    "0916": "铝矿采选",
    "0917": "镁矿采选",
    "0919": "其他常用有色金属矿采选",
    "0921": "金矿采选",
    "0922": "银矿采选",
    "0929": "其他贵金属矿采选",
    "0931": "钨钼矿采选",
    "0932": "稀土金属矿采选",
    "0933": "放射性金属矿采选",
    "0939": "其他稀有金属矿采选",
}

# GB/T 4754-2017 3392 有色金属铸造 (group 339 in division 33, neither encoded): non-ferrous casting
CASTING_CLASSES = {"3392": "有色金属铸造"}

GROUPS = {
    "307": "陶瓷制品制造",
    "321": "常用有色金属冶炼",
    "322": "贵金属冶炼",
    "323": "稀有稀土金属冶炼",
    "324": "有色金属合金制造",
    "325": "有色金属压延加工",
    "091": "常用有色金属矿采选",
    "092": "贵金属矿采选",
    "093": "稀有稀土金属矿采选",
}

DIVISIONS = {"32": "有色金属冶炼和压延加工业", "09": "有色金属矿采选业"}


def test_table_has_exactly_the_expected_codes_and_names():
    expected = {**CERAMIC_CLASSES, **SMELTING_CLASSES, **MINING_CLASSES, **CASTING_CLASSES, **GROUPS, **DIVISIONS}
    assert {code: entry.name_zh for code, entry in INDUSTRY_CODES.items()} == expected


def test_entries_are_consistent():
    for code, entry in INDUSTRY_CODES.items():
        assert isinstance(entry, IndustryCode)
        assert entry.code == code
        assert entry.industry in INDUSTRIES
        assert entry.name_en and entry.name_en.isascii()
        if entry.parent is not None:
            assert code.startswith(entry.parent), code
            assert len(entry.parent) == len(code) - 1
        # A code's own industry field agrees with the one found by walking up.
        assert industry_of(code) == entry.industry


def test_parents_point_to_encoded_entries_except_ceramics_root():
    for entry in INDUSTRY_CODES.values():
        if entry.parent is None:
            assert entry.level == "division"
        elif entry.code == "307":
            assert entry.parent == "30"
            assert lookup("30") is None
        elif entry.code == "3392":
            assert entry.parent == "339"
            assert lookup("339") is None
        else:
            assert entry.parent in INDUSTRY_CODES


def test_levels():
    assert lookup("32").level == "division"
    assert lookup("325").level == "group"
    assert lookup("3251").level == "class"


def test_lookup():
    entry = lookup("3073")
    assert entry is not None
    assert entry.name_zh == "特种陶瓷制品制造"
    assert entry.parent == "307"
    assert entry.industry == "ceramics"
    assert lookup("0933").name_zh == "放射性金属矿采选"
    assert lookup("3240").parent == "324"


@pytest.mark.parametrize("raw", [" 3071 ", "C3071", "c3071", "C 3071"])
def test_lookup_accepts_whitespace_and_section_letter(raw):
    assert lookup(raw) is INDUSTRY_CODES["3071"]


def test_mining_section_letter_is_b():
    assert lookup("B0911") is INDUSTRY_CODES["0911"]
    assert lookup("C0911") is None
    assert lookup("B3071") is None


@pytest.mark.parametrize("raw", ["", "30", "3070", "3080", "3311", "911", "0910", "9999", "C", "32A"])
def test_lookup_unknown(raw):
    assert lookup(raw) is None
    assert not is_valid(raw)


def test_lookup_non_string():
    assert lookup(3071) is None
    assert lookup(None) is None


def test_industry_of():
    assert industry_of("3071") == "ceramics"
    assert industry_of("307") == "ceramics"
    assert industry_of("3252") == "nonferrous"
    assert industry_of("32") == "nonferrous"
    assert industry_of("0921") == "nonferrous"
    assert industry_of("09") == "nonferrous"
    assert industry_of("3081") is None
    assert industry_of("") is None


def test_choices_all():
    options = choices()
    codes = [code for code, _ in options]
    assert codes == sorted(codes)
    assert set(codes) == set(CERAMIC_CLASSES) | set(SMELTING_CLASSES) | set(MINING_CLASSES) | set(CASTING_CLASSES)
    assert all(len(code) == 4 for code in codes)
    assert ("3071", "3071 建筑陶瓷制品制造") in options
    assert ("0911", "0911 铜矿采选") in options


def test_choices_by_industry():
    assert choices("ceramics") == [(code, f"{code} {name}") for code, name in sorted(CERAMIC_CLASSES.items())]
    nonferrous = {code for code, _ in choices("nonferrous")}
    assert nonferrous == set(SMELTING_CLASSES) | set(MINING_CLASSES) | set(CASTING_CLASSES)
    assert "3240" in nonferrous


def test_choices_unknown_industry_raises():
    with pytest.raises(ValueError, match="steel"):
        choices("steel")


def test_is_valid():
    assert is_valid("3079")
    assert is_valid("C3079")
    assert is_valid("09")
    assert not is_valid("3078")


def test_nonferrous_casting_3392_belongs_to_the_nonferrous_pilot():
    # DOMAIN.md §6: 3392 有色金属铸造 (under C33) matters for non-ferrous processing clusters
    assert industry_of("3392") == "nonferrous" and industry_of("C3392") == "nonferrous"
    assert lookup("B3392") is None
