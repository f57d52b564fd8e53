"""Master data of SPEC 2 validated with python-stdnum and django-countries."""

import pytest
from django.core.exceptions import ValidationError

from invoicing.models import Company, Partner


def errors(instance):
    with pytest.raises(ValidationError) as refused:
        instance.full_clean()
    return refused.value.message_dict


def test_company_iban_bic_and_vat_id_are_checked():
    company = Company(name="X", currency="EUR", country="DE", vat_id="DE123456789", iban="DE89370400440532013001",
                      bic="NOTABIC")  # fmt: skip
    found = errors(company)
    assert "is not a valid IBAN" in found["iban"][0]
    assert "is not a valid BIC" in found["bic"][0]
    assert "is not a valid VAT ID of DE" in found["vat_id"][0]


def test_an_eu_vat_id_starts_with_its_country_prefix():
    found = errors(Partner(name="P", is_customer=True, country="FR", vat_id="DE136695976"))
    assert found["vat_id"] == ["An EU VAT ID starts with its country code: FR… for this country."]


def test_valid_master_data_passes_and_a_country_outside_iso_3166_does_not():
    Company(name="Y", currency="EUR", country="DE", vat_id="DE136695976", iban="DE89 3704 0044 0532 0130 00",
            bic="COBADEFFXXX", peppol_scheme="9930", peppol_id="DE136695976").full_clean()  # fmt: skip
    assert "country" in errors(Partner(name="P", is_customer=True, country="XX"))


def test_a_peppol_endpoint_needs_both_scheme_and_id():
    assert "peppol_id" in errors(Partner(name="P", is_customer=True, peppol_scheme="0088"))
    assert "peppol_scheme" in errors(Partner(name="P", is_customer=True, peppol_scheme="88", peppol_id="1"))
