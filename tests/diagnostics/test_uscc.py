"""Tests for diagnostics.uscc (GB 32100-2015 unified social credit code)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from diagnostics.uscc import (
    ALPHABET,
    UsccResult,
    check_character,
    describe_uscc,
    entity_type,
    make_uscc,
    normalise_uscc,
    organisation_code_ok,
    registration_authority,
    validate_uscc,
    well_formed_array,
)

# Real, publicly registered codes whose check characters are known to be correct.
REAL_CODES = ["91110000802100433B", "91440300708461136T"]


def _replace(code: str, position: int, char: str) -> str:
    return code[:position] + char + code[position + 1 :]


def test_alphabet_has_31_characters_without_confusable_letters():
    assert len(ALPHABET) == 31
    assert len(set(ALPHABET)) == 31
    for letter in "IOSVZ":
        assert letter not in ALPHABET


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    result = validate_uscc(code)
    assert isinstance(result, UsccResult)
    assert result.ok is True
    assert result.rule is None
    assert result.code == code
    assert result.message_zh and result.message_en


@pytest.mark.parametrize("code", REAL_CODES)
def test_check_character_of_real_codes(code):
    assert check_character(code[:17]) == code[17]
    assert make_uscc(code[:17]) == code


def test_check_character_known_values():
    assert check_character("91110000802100433") == "B"
    assert check_character("91440300708461136") == "T"


def test_check_value_31_maps_to_zero():
    # All zeros: sum is 0, so 31 - 0 = 31, which must be written as "0", not fail or wrap oddly.
    assert check_character("0" * 17) == "0"
    assert validate_uscc("0" * 18).ok


def test_check_character_rejects_bad_input():
    with pytest.raises(ValueError, match="17"):
        check_character("9111000080210043")
    with pytest.raises(ValueError, match="position 3"):
        check_character("91I10000802100433")


def test_result_is_frozen():
    result = validate_uscc(REAL_CODES[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False


# --- normalisation -------------------------------------------------------------------------------


def test_normalise_strips_spaces_and_uppercases():
    assert normalise_uscc(" 9111 0000 8021 0043 3b\t\n") == "91110000802100433B"


def test_normalise_full_width_and_ideographic_space():
    full_width = "９１１１００００\u3000８０２１００４３３ｂ"
    assert normalise_uscc(full_width) == "91110000802100433B"


def test_full_width_input_validates_and_returns_normalised_code():
    result = validate_uscc("９１４４０３００　７０８４６１１３６ｔ")
    assert result.ok
    assert result.code == "91440300708461136T"


def test_lower_case_check_character_is_accepted():
    assert validate_uscc("91110000802100433b").ok


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_empty(raw):
    result = validate_uscc(raw)
    assert not result.ok
    assert result.rule == "empty"
    assert result.code == ""


@pytest.mark.parametrize("raw, given", [("91110000802100433", 17), ("91110000802100433B1", 19), ("9", 1)])
def test_wrong_length_reports_how_many(raw, given):
    result = validate_uscc(raw)
    assert not result.ok
    assert result.rule == "length"
    assert f"{given}位" in result.message_zh
    assert f"{given} were given" in result.message_en


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_named_with_position(letter):
    code = _replace(REAL_CODES[0], 9, letter)  # position 10, 1-based
    result = validate_uscc(code)
    assert not result.ok
    assert result.rule == "alphabet"
    assert f"'{letter}' at position 10" in result.message_en
    assert f"第10位的字符“{letter}”" in result.message_zh


def test_lower_case_forbidden_letter_is_still_rejected():
    result = validate_uscc(_replace(REAL_CODES[0], 0, "o"))
    assert result.rule == "alphabet"
    assert "'O' at position 1" in result.message_en


def test_non_alphanumeric_character_is_rejected():
    result = validate_uscc("9111-000802100433B")
    assert result.rule == "alphabet"
    assert "'-' at position 5" in result.message_en


def test_length_is_reported_before_alphabet():
    assert validate_uscc("9111000080210043I").rule == "length"


def test_wrong_check_character_names_expected_and_given():
    result = validate_uscc("91110000802100433C")
    assert not result.ok
    assert result.rule == "check_character"
    assert "'B'" in result.message_en and "'C'" in result.message_en
    assert "“B”" in result.message_zh and "“C”" in result.message_zh


def test_unverified_looking_code_fails_check():
    # Looks plausible but the check character computed from the first 17 is "R", not "0".
    result = validate_uscc("911100001000000000")
    assert result.rule == "check_character"
    assert "should be 'R'" in result.message_en


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_substitution_is_detected(code):
    failures = 0
    for position in range(18):
        for char in ALPHABET:
            if char == code[position]:
                continue
            result = validate_uscc(_replace(code, position, char))
            assert not result.ok, (position, char)
            assert result.rule == "check_character"
            failures += 1
    assert failures == 18 * 30


@pytest.mark.parametrize("code", REAL_CODES)
def test_adjacent_transpositions_in_first_17_are_detected(code):
    checked = 0
    for position in range(16):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        assert not validate_uscc(swapped).ok, position
        checked += 1
    assert checked > 5


# --- letter-coded authorities and make_uscc ------------------------------------------------------


def test_letter_coded_authority_and_type_are_accepted():
    # Letters in positions 1-8 are legal (python-stdnum would reject these).
    assert validate_uscc("Y1440300MA5DABCDE6").ok
    assert validate_uscc("N2110000MA0012345U").ok
    assert validate_uscc("N2110000MA0012345V").rule == "alphabet"
    assert validate_uscc("N2110000MA0012345W").rule == "check_character"


def test_make_uscc_normalises_and_round_trips():
    code = make_uscc(" 9231 0000 MA1abcdeF ")
    assert len(code) == 18
    assert code.startswith("92310000MA1ABCDEF")
    assert validate_uscc(code).ok


def test_make_uscc_rejects_forbidden_letters():
    with pytest.raises(ValueError):
        make_uscc("9131000071092447O")


# --- describe ------------------------------------------------------------------------------------


def test_describe_enterprise():
    info = describe_uscc("91440300708461136T")
    assert info["code"] == "91440300708461136T"
    assert info["authority"] == {"code": "9", "zh": "市场监管（原工商）", "en": info["authority"]["en"]}
    assert "Market regulation" in info["authority"]["en"]
    assert info["entity_type"] == {"code": "1", "zh": "企业", "en": "Enterprise"}
    assert info["division_code"] == "440300"
    assert info["organisation_code"] == "708461136"
    assert info["check_character"] == "T"


def test_describe_individual_business_and_cooperative():
    assert describe_uscc(make_uscc("92330100MA2AAAAAA"))["entity_type"]["zh"] == "个体工商户"
    assert describe_uscc(make_uscc("93330100MA2AAAAAA"))["entity_type"]["zh"] == "农民专业合作社"


def test_describe_other_authorities():
    assert describe_uscc(make_uscc("12100000400000000"))["authority"]["zh"] == "机构编制"
    assert describe_uscc(make_uscc("51100000500000000"))["authority"]["zh"] == "民政"
    assert describe_uscc(make_uscc("51100000500000000"))["entity_type"]["zh"] == "社会团体"
    assert describe_uscc(make_uscc("Y1100000500000000"))["authority"]["zh"] == "其他"


def test_describe_unknown_codes_have_no_names():
    info = describe_uscc(make_uscc("A7110000500000000"))
    assert info["authority"] == {"code": "A", "zh": None, "en": None}
    assert info["entity_type"] == {"code": "7", "zh": None, "en": None}


def test_describe_accepts_unnormalised_input_and_rejects_wrong_length():
    assert describe_uscc("９１１１００００８０２１００４３３ｂ")["division_code"] == "110000"
    with pytest.raises(ValueError, match="18"):
        describe_uscc("9111000080210043")


def test_lookup_helpers():
    assert registration_authority("9")["zh"] == "市场监管（原工商）"
    assert registration_authority("y")["en"] == "Other registration authorities"
    assert registration_authority("8") is None
    assert entity_type("9", "2") == {"zh": "个体工商户", "en": "Individual business"}
    assert entity_type("5", "3")["zh"] == "基金会"
    assert entity_type("9", "9") is None


# --- organisation code (GB 11714), advisory ------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_organisation_code_of_real_codes(code):
    assert organisation_code_ok(code[8:17])


def test_organisation_code_check_digit_variants():
    # Weights 3, 7, 9, 10, 5, 8, 4, 2; check = 11 - (sum mod 11), 10 -> "X", 11 -> "0".
    assert organisation_code_ok("000000000")  # sum 0 -> 11 -> "0"
    assert not organisation_code_ok("000000001")
    assert organisation_code_ok("000000019")  # 1 * 2 = 2 -> 9
    assert organisation_code_ok("000000107")  # 1 * 4 = 4 -> 7
    assert organisation_code_ok("0000A0005")  # A = 10, 10 * 5 = 50, 50 mod 11 = 6 -> 5
    assert organisation_code_ok("40000000X")  # 4 * 3 = 12, 12 mod 11 = 1 -> 10 -> "X"
    assert organisation_code_ok("40000000x")
    assert not organisation_code_ok("400000000")


def test_organisation_code_rejects_wrong_shape():
    assert not organisation_code_ok("70846113")
    assert not organisation_code_ok("70846-136")


def test_organisation_code_is_not_part_of_validation():
    # Outer check character correct, inner GB 11714 character wrong: still a valid USCC.
    code = make_uscc("91440300708461137")
    assert not organisation_code_ok(code[8:17])
    assert validate_uscc(code).ok


def test_array_form_agrees_with_validate_uscc() -> None:
    """The census's array check passes exactly the codes the scalar rule passes, normalised the same way."""
    rng = np.random.default_rng(5)
    alphabet = list(ALPHABET)
    codes = ["", "   ", "９１３６０２００ＭＡ３５ＸＸＸＸ０", " 91360200 ma35xxxx0 ", "91360200MA35XXXX01"]
    for k in range(3000):
        code = make_uscc("".join(rng.choice(alphabet, 17)))
        kind = k % 5
        if kind == 1:
            code = code[:17] + str(rng.choice(alphabet))  # a check character, often wrong
        elif kind == 2:
            pos = int(rng.integers(0, 18))
            code = code[:pos] + str(rng.choice(list("IOSVZ-é "))) + code[pos + 1:]  # a bad or blank character
        elif kind == 3:
            code = code[: int(rng.integers(0, 18))]  # too short
        elif kind == 4:
            code = code.lower()
        codes.append(code)
    normalised, ok = well_formed_array(codes)
    expected = [validate_uscc(c) for c in codes]
    assert list(normalised) == [e.code for e in expected]
    assert list(ok) == [e.ok for e in expected]
    assert 0 < ok.sum() < len(codes)
