from marshmallow import ValidationError, fields, validate, validates_schema
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from contracts.common import CountryCode, CurrencyCode, Reference, Schema, page_schema


def _iban(value: str) -> str:
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise ValidationError(f"not a valid IBAN: {error}") from None


def _bic(value: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException as error:
        raise ValidationError(f"not a valid BIC: {error}") from None


class IbanField(fields.String):
    def __init__(self, **kwargs):
        super().__init__(metadata={"example": "AL35202111090000000001234567"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _iban(super()._deserialize(value, attr, data, **kwargs))


class BicField(fields.String):
    def __init__(self, **kwargs):
        super().__init__(metadata={"example": "BKTRALTR"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _bic(super()._deserialize(value, attr, data, **kwargs))


class BankAccountSchema(Schema):
    iban = IbanField(required=True)
    bic = BicField(load_default=None, allow_none=True)
    currency = CurrencyCode(required=True)

    @validates_schema
    def _bic_matches_iban(self, data, **kwargs):
        """A BIC of another country than the IBAN's is a keying error, not a routing choice."""
        bic, iban = data.get("bic"), data.get("iban")
        if bic and iban and BIC(bic).country_code != IBAN(iban).country_code:
            raise ValidationError("the BIC's country differs from the IBAN's", field_name="bic")


class PartyWriteSchema(Schema):
    name = Reference(required=True, length=validate.Length(min=1, max=200))
    contact_point = fields.String(load_default="", validate=validate.Length(max=500))
    fiscal_year_start_month = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=12, error="the month the fiscal year starts in: 1 to 12"),
        metadata={"example": 4, "description": "the payer's fiscal year starts on the 1st of this month (default 1)"})
    reporting_currency = CurrencyCode(allow_none=True, metadata={
        "description": "the currency open items in other currencies are revalued into at month end"})
    bank_accounts = fields.List(fields.Nested(BankAccountSchema), load_default=list,
                                validate=validate.Length(max=50))


class PartyCreateSchema(PartyWriteSchema):
    code = CountryCode(required=True)


class PartySchema(PartyCreateSchema):
    version = fields.Integer(dump_only=True)


PartyPageSchema = page_schema(PartySchema, "PartyPage")
