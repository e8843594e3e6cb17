from datetime import date, timedelta

import pytest

from forms import id_number_birth_date, is_valid_id_number
from forms.idcard import (
    MSG_BIRTH_DATE,
    MSG_CHECKSUM,
    MSG_FORMAT,
    MSG_REGION,
    IdNumberError,
    check_char,
    normalize_id_number,
)
from tests.forms.helpers import errors, single
from tests.forms.samples import make_id_number

WELL_KNOWN = "11010519491231002X"


def with_wrong_check_char(number: str) -> str:
    wrong = next(c for c in "0123456789X" if c != number[17])
    return number[:17] + wrong


def test_well_known_number_with_x_check_char_is_valid():
    assert is_valid_id_number(WELL_KNOWN)
    assert check_char(WELL_KNOWN[:17]) == "X"


@pytest.mark.parametrize(
    "birth",
    [date(1900, 1, 1), date(1949, 10, 1), date(1968, 3, 15), date(2000, 2, 29), date(2020, 12, 31)],
)
@pytest.mark.parametrize("sequence", [0, 7, 45, 99])
def test_computed_numbers_are_valid(birth, sequence):
    number = make_id_number(birth, sequence)
    assert is_valid_id_number(number)
    assert id_number_birth_date(number) == birth


def test_lowercase_x_is_accepted_and_normalized_to_uppercase():
    assert is_valid_id_number(WELL_KNOWN.lower())
    assert normalize_id_number(WELL_KNOWN.lower()) == WELL_KNOWN
    assert single("id_number").validate({"v": WELL_KNOWN.lower()}) == {"v": WELL_KNOWN}


def test_surrounding_spaces_are_stripped():
    assert single("id_number").validate({"v": f"  {WELL_KNOWN} "}) == {"v": WELL_KNOWN}


def test_wrong_check_char_is_reported_as_checksum_error():
    bad = with_wrong_check_char(make_id_number(date(1970, 5, 6), 31))
    assert not is_valid_id_number(bad)
    assert errors("id_number", bad) == ["身份证号码校验位错误"]
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


@pytest.mark.parametrize("first", ["0", "9"])
def test_first_digit_must_be_1_to_8(first):
    number = make_id_number(date(1980, 1, 1), region=first + "10105")
    assert errors("id_number", number) == [MSG_REGION]


@pytest.mark.parametrize("digits", ["19490230", "19491301", "19490000", "18991231", "20230229"])
def test_impossible_or_too_early_birth_dates_are_rejected(digits):
    first17 = "110105" + digits + "002"
    number = first17 + check_char(first17)  # checksum right, so only the date is wrong
    assert not is_valid_id_number(number)
    assert errors("id_number", number) == [MSG_BIRTH_DATE]
    with pytest.raises(IdNumberError):
        id_number_birth_date(number)


def test_birth_date_in_the_future_is_rejected():
    tomorrow = date.today() + timedelta(days=1)
    assert not is_valid_id_number(make_id_number(tomorrow))
    assert is_valid_id_number(make_id_number(date.today()))


def test_birth_date_helper_reads_positions_7_to_14():
    assert id_number_birth_date(WELL_KNOWN) == date(1949, 12, 31)
    assert id_number_birth_date(WELL_KNOWN.lower()) == date(1949, 12, 31)
