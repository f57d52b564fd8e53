"""Checks of master data that a well-kept library can do (python-stdnum): IBAN checksum, BIC format,
VAT ID format per country. Each raises a ValidationError naming what is wrong."""

import re

from django.core.exceptions import ValidationError
from stdnum import bic, get_cc_module, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

# Greece writes EL in front of its VAT numbers, not its ISO code GR.
VAT_PREFIX = {"GR": "EL"}
EU_COUNTRIES = set(eu_vat.MEMBER_STATES) - {"el"} | {"gr"}
EAS_PATTERN = re.compile(r"^\d{4}$")


def validate_iban(value):
    try:
        iban.validate(value)
    except StdnumError as error:
        raise ValidationError(f"“{value}” is not a valid IBAN ({_reason(error.message)}).") from None


def validate_bic(value):
    try:
        bic.validate(value)
    except StdnumError:
        raise ValidationError(f"“{value}” is not a valid BIC (8 or 11 characters, e.g. DEUTDEFF).") from None


def validate_eas(value):
    if not EAS_PATTERN.match(value):
        raise ValidationError("A Peppol endpoint scheme is a 4-digit EAS code, e.g. 0088 (GLN) or 9930 (DE VAT).")


def compact(value):
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def vat_error(vat_id, country):
    """Why `vat_id` is not a VAT ID of `country` (an ISO 3166 code), or None.

    EU VAT IDs start with their country prefix (DE…, FR…, EL… for Greece), as invoices must show them.
    Other countries' numbers are checked with the country's own format where python-stdnum knows it."""
    if not vat_id:
        return None
    number = compact(vat_id)
    if country and country.lower() in EU_COUNTRIES:
        prefix = VAT_PREFIX.get(country.upper(), country.upper())
        if not number.startswith(prefix):
            return f"An EU VAT ID starts with its country code: {prefix}… for this country."
        try:
            eu_vat.validate(number)
        except StdnumError as error:
            return f"“{vat_id}” is not a valid VAT ID of {country.upper()} ({_reason(error.message)})."
        return None
    if not country:
        return None
    try:
        module = get_cc_module(country.lower(), "vat")
    except (ImportError, AttributeError):
        module = None
    if module is None:
        return None
    candidates = [number, number[2:]] if number[:2] == country.upper() else [number]
    for candidate in candidates:
        try:
            module.validate(candidate)
        except StdnumError as error:
            message = error.message
        else:
            return None
    return f"“{vat_id}” is not a valid VAT ID of {country.upper()} ({_reason(message)})."


def _reason(message):
    return message.lower().rstrip(".")
