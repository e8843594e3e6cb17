"""Resident identity numbers (GB 11643-1999). The fixtures are written out by hand: each
check character was worked on paper (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11
indexing "10X98765432"), never computed by the code under test."""

from datetime import date

import pytest

from forms import FormInvalid, id_number_birth_date, is_valid_id_number
from forms.idcard import (
    MSG_BIRTH_DATE,
    MSG_CHECKSUM,
    MSG_FORMAT,
    MSG_REGION,
    IdNumberError,
    normalize_id_number,
)
from tests.forms.helpers import errors, single

WELL_KNOWN = "11010519491231002X"
# number → birth date; check characters X, 0, 6, X, 1, 6 and 2 (sum mod 11 = 2, 1, 6, 2, 0, 6, 10)
VALID = {
    "11010519491231002X": date(1949, 12, 31),
    "440106198001011230": date(1980, 1, 1),
    "510122196511204576": date(1965, 11, 20),
    "32058319900315005X": date(1990, 3, 15),
    "62010220000229033X": date(2000, 2, 29),
    "370202202012310181": date(2020, 12, 31),
    "130102190001010006": date(1900, 1, 1),
    "230103197510082712": date(1975, 10, 8),
}


def with_wrong_check_char(number: str) -> str:
    wrong = next(c for c in "0123456789X" if c != number[17])
    return number[:17] + wrong


@pytest.mark.parametrize("number", sorted(VALID))
def test_hand_checked_numbers_are_valid_and_give_their_birth_date(number):
    assert is_valid_id_number(number)
    assert id_number_birth_date(number) == VALID[number]
    assert single("id_number").validate({"v": number}) == {"v": number}


def test_lowercase_x_is_accepted_and_normalized_to_uppercase():
    assert is_valid_id_number(WELL_KNOWN.lower())
    assert normalize_id_number(WELL_KNOWN.lower()) == WELL_KNOWN
    assert single("id_number").validate({"v": WELL_KNOWN.lower()}) == {"v": WELL_KNOWN}


def test_surrounding_spaces_are_stripped():
    assert single("id_number").validate({"v": f"  {WELL_KNOWN} "}) == {"v": WELL_KNOWN}


@pytest.mark.parametrize("number", sorted(VALID))
def test_every_other_check_char_is_reported_as_checksum_error(number):
    for wrong in "0123456789X".replace(number[17], ""):
        bad = number[:17] + wrong
        assert not is_valid_id_number(bad), bad
        assert errors("id_number", bad) == [MSG_CHECKSUM]
    assert MSG_CHECKSUM == "身份证号码校验位错误"


@pytest.mark.parametrize(
    "bad",
    [
        WELL_KNOWN[:17],  # 17 characters
        WELL_KNOWN + "1",  # 19 characters
        "11010519491231002Y",  # bad check character
        "1101051949123100AX",  # letter among the digits
        "11010519491231002X".replace("0", "O", 1),
        "",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
    ],
)
def test_wrong_length_or_characters_give_format_error(bad):
    with pytest.raises(IdNumberError) as exc:
        normalize_id_number(bad)
    assert exc.value.message == MSG_FORMAT
    assert not is_valid_id_number(bad)


def test_non_string_is_invalid():
    assert not is_valid_id_number(110105194912310021)  # type: ignore[arg-type]
    assert errors("id_number", 110105194912310021) == [MSG_FORMAT]


@pytest.mark.parametrize("number", ["010105198001010012", "910105198001010015"])
def test_first_digit_must_be_1_to_8(number):
    """Check characters right (2 and 5), so only the region is wrong."""
    assert errors("id_number", number) == [MSG_REGION]


@pytest.mark.parametrize("number", [
    "110105194902300020",  # 30 February
    "110105194913010029",  # month 13
    "110105194900000024",  # month and day 0
    "110105189912310023",  # before 1900
    "110105202302290022",  # 29 February in a common year
])
def test_impossible_or_too_early_birth_dates_are_rejected(number):
    """Check characters right (worked by hand), so only the date is wrong."""
    assert not is_valid_id_number(number)
    assert errors("id_number", number) == [MSG_BIRTH_DATE]
    with pytest.raises(IdNumberError):
        id_number_birth_date(number)


def test_birth_date_in_the_future_is_rejected():
    born = "110105202706020029"  # born 2 June 2027, check character 9
    with pytest.raises(IdNumberError) as exc:
        normalize_id_number(born, today=date(2027, 6, 1))
    assert exc.value.message == MSG_BIRTH_DATE
    assert normalize_id_number(born, today=date(2027, 6, 2)) == born


def test_birth_date_helper_reads_positions_7_to_14():
    assert id_number_birth_date(WELL_KNOWN) == date(1949, 12, 31)
    assert id_number_birth_date(WELL_KNOWN.lower()) == date(1949, 12, 31)


def test_a_form_bounds_birth_dates_by_its_own_day_not_the_system_date():
    """The engine's day (a fixed clock, a case dated ahead) decides, in forms and rolls alike."""
    born_1_june_2031 = "110105203106010024"  # sum 129, mod 11 = 8: check character 4
    born_3_june_2031 = "110105203106030025"  # sum 139, mod 11 = 7: check character 5
    form = single("id_number")
    assert form.validate({"v": born_1_june_2031}, today=date(2031, 6, 2)) == {
        "v": born_1_june_2031}
    with pytest.raises(FormInvalid) as exc:
        form.validate({"v": born_3_june_2031}, today=date(2031, 6, 2))
    assert exc.value.fields["v"] == [MSG_BIRTH_DATE]
    assert id_number_birth_date(born_1_june_2031, today=date(2031, 6, 2)) == date(2031, 6, 1)
