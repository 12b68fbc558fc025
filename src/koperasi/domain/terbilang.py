"""Terbilang: a rupiah amount in Indonesian words, as printed on kuitansi and bukti setor."""

from decimal import Decimal

from num2words import num2words

from koperasi.domain.errors import DomainError
from koperasi.domain.money import round_half_up

# Built group by group instead of calling num2words on the whole number, because
# num2words says "satu juta satu ribu" for 1.001.000 where Indonesian says "satu juta seribu".
_SCALES = ("", "ribu", "juta", "miliar", "triliun", "kuadriliun")
_LIMIT = 1000 ** len(_SCALES)  # 10**18, same bound as money.parse_amount


def _under_thousand(n: int) -> str:
    """Words for 1..999 ("seratus", "sebelas", "dua ratus lima puluh")."""
    return str(num2words(n, lang="id"))


def _integer_words(n: int) -> str:
    if n == 0:
        return "nol"
    words: list[str] = []
    for power in range(len(_SCALES) - 1, -1, -1):
        group = (n // 1000**power) % 1000
        if group == 0:
            continue
        if group == 1 and _SCALES[power] == "ribu":
            words.append("seribu")
        else:
            words.append(_under_thousand(group))
            if _SCALES[power]:
                words.append(_SCALES[power])
    return " ".join(words)


def terbilang(amount: Decimal) -> str:
    """E.g. 1250000 -> "Satu juta dua ratus lima puluh ribu rupiah".

    Sen are spelled after the rupiah ("... rupiah lima puluh sen"); amounts are rounded
    half-up to the sen first. Negative amounts start with "Minus".
    """
    if isinstance(amount, float) or not Decimal(amount).is_finite():
        raise DomainError("invalid", "Amount is not a finite Decimal.", "amount")
    value = round_half_up(Decimal(amount))
    magnitude = abs(value)
    if magnitude >= _LIMIT:
        raise DomainError("too_large", "The amount is too large to spell out.", "amount")
    rupiah = int(magnitude)
    sen = int((magnitude - rupiah) * 100)

    text = _integer_words(rupiah) + " rupiah"
    if sen:
        text += " " + _integer_words(sen) + " sen"
    if value < 0:
        text = "minus " + text
    return text[0].upper() + text[1:]
