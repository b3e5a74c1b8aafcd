"""The founders' KPI report form: the period's figures and the funding raised in it."""

from typing import Any

from pyramid.request import Request
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from dimoskopio.forms import Form, Length, Required, translated_choices
from dimoskopio.i18n import _
from incubator.kpi_services import FundingValues, ReportValues
from incubator.models import (
    FUNDING_SOURCE_LABELS,
    NAME_MAX_LENGTH,
    REVENUE_BAND_LABELS,
    FundingSource,
    RevenueBand,
)

MAX_EMPLOYEES = 10_000
MAX_CUSTOMERS = 10_000_000
MAX_PATENTS = 1_000
MAX_FUNDING_EUR = 1_000_000_000
HIGHLIGHTS_MAX_LENGTH = 3000
# Funding rounds one report may list; the form shows those already reported and two empty rows
# (at least three rows in all).
MAX_FUNDING_ROWS = 10
EMPTY_FUNDING_ROWS = 2
MIN_FUNDING_ROWS = 3


def within(low: int, high: int) -> NumberRange:
    """A whole number from `low` to `high` (a TranslationString message stays translatable:
    NumberRange's %-formatting adds to its mapping)."""
    return NumberRange(min=low, max=high, message=_("Enter a whole number from ${low} to ${high}.",
                                                     mapping={"low": low, "high": high}))


def _whole_number(field_label: Any, largest: int) -> IntegerField:
    return IntegerField(field_label, validators=[Required(), within(0, largest)])


def _row_filled(amount: Any, source: Any, name: Any) -> bool:
    """Whether anything was typed or chosen in a funding row (empty rows are ignored)."""
    return bool((amount.raw_data and amount.raw_data[0].strip()) or source.data or (name.data or "").strip())


class KpiReportForm(Form):
    full_time_employees = _whole_number(_("Full-time employees"), MAX_EMPLOYEES)
    revenue_band = SelectField(_("Revenue in the last 12 months"), validators=[Required()],
                               default=RevenueBand.NONE.value)
    customers = _whole_number(_("Paying customers"), MAX_CUSTOMERS)
    patents = _whole_number(_("Patents and other IP filed (in total)"), MAX_PATENTS)
    highlights = TextAreaField(
        _("Highlights (optional)"), validators=[Length(max=HIGHLIGHTS_MAX_LENGTH)],
        description=_("What went well or badly this period: launches, partners, hires, setbacks."))

    def __init__(self, request: Request, funding_rows: int = MIN_FUNDING_ROWS, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.revenue_band.choices = translated_choices(request, REVENUE_BAND_LABELS)
        sources = [SelectChoice("", request.localizer.translate(_("Choose…"))),
                   *translated_choices(request, FUNDING_SOURCE_LABELS)]
        for number in range(MAX_FUNDING_ROWS):
            self[f"funding_{number}_source"].choices = sources
        # Rows filled in beyond those offered (a longer form sent back) are shown too, with their errors.
        filled = [number + 1 for number, row in enumerate(self._funding_rows()) if _row_filled(*row)]
        self.funding_rows = min(MAX_FUNDING_ROWS, max(MIN_FUNDING_ROWS, funding_rows, *filled))

    def funding_row_fields(self) -> list[tuple[Any, Any, Any]]:
        """The funding rows shown: (amount, source, source name) fields of each."""
        return self._funding_rows()[:self.funding_rows]

    def _funding_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"funding_{number}_amount"], self[f"funding_{number}_source"],
                 self[f"funding_{number}_source_name"]) for number in range(MAX_FUNDING_ROWS)]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for amount, source, name in self._funding_rows():
            if amount.errors or not _row_filled(amount, source, name):
                continue
            if amount.data is None:
                amount.errors.append(self._translate(_("Enter the amount raised, or leave the whole row empty.")))
                valid = False
            if not source.data:
                source.errors.append(self._translate(_("Choose where the money came from.")))
                valid = False
        return valid

    def show_existing_funding(self, rows: list[Any]) -> None:
        """Fill the rows with the funding already reported (a GET of a report that exists)."""
        for number, row in enumerate(rows[:MAX_FUNDING_ROWS]):
            self[f"funding_{number}_amount"].data = row.amount_eur
            self[f"funding_{number}_source"].data = row.source.value
            self[f"funding_{number}_source_name"].data = row.source_name

    def values(self) -> ReportValues:
        funding = [FundingValues(amount.data, FundingSource(source.data), name.data or "")
                   for amount, source, name in self._funding_rows() if amount.data is not None]
        return ReportValues(
            full_time_employees=self.full_time_employees.data, revenue_band=RevenueBand(self.revenue_band.data),
            customers=self.customers.data, patents=self.patents.data, highlights=self.highlights.data or "",
            funding=funding)


for _number in range(MAX_FUNDING_ROWS):
    _mapping = {"number": _number + 1}
    setattr(KpiReportForm, f"funding_{_number}_amount", IntegerField(
        _("Round ${number}: amount in euros", mapping=_mapping), validators=[Optional(), within(1, MAX_FUNDING_EUR)]))
    setattr(KpiReportForm, f"funding_{_number}_source", SelectField(
        _("Round ${number}: source", mapping=_mapping), default=""))
    setattr(KpiReportForm, f"funding_{_number}_source_name", StringField(
        _("Round ${number}: investor or programme (optional)", mapping=_mapping),
        validators=[Length(max=NAME_MAX_LENGTH)]))
