"""The one form style: WTForms bound to the request, messages and labels in the visitor's language."""

import io
import re
from typing import Any

import wtforms
from PIL import Image, UnidentifiedImageError
from pyramid.request import Request
from translationstring import TranslationString
from wtforms import validators
from wtforms.validators import ValidationError

from dimoskopio.i18n import _
from dimoskopio.web import SLUG_PATTERN

__all__ = ["FORBIDDEN_CHARACTERS", "Form", "Length", "MultiCheckboxField", "Required", "valid_slug", "validators"]

# Control characters no text field may hold (tab and line breaks excepted): PostgreSQL refuses NUL
# in text, and the others only make trouble in emails, exports and logs.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The hint under every field that takes Markdown.
MARKDOWN_HINT = _("Markdown: **bold**, *italic*, lists with -, links as [text](https://...).")


class Form(wtforms.Form):
    """Base form: POST data from the request, WTForms' own messages in the request's locale."""

    class Meta:
        locales: list[str] | None = None

    def __init__(self, request: Request, obj: Any = None, **kwargs: Any) -> None:
        self.request = request
        formdata = request.POST if request.method == "POST" else None
        super().__init__(formdata, obj=obj, meta={"locales": [request.locale_name, "en"]}, **kwargs)
        for field in self:
            field.label.text = self._translate(field.label.text)
            field.description = self._translate(field.description)

    def _translate(self, message: Any) -> Any:
        if isinstance(message, TranslationString):
            return self.request.localizer.translate(message)
        return message

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            unreadable = list(field.process_errors)
            if unreadable and field.errors[:len(unreadable)] == unreadable:
                # Input that is not even a value of the field's kind ("3,5" for a whole number):
                # that is the message; range and other checks of the missing value add nothing.
                field.errors = unreadable
            # A hidden field's error would show nowhere; the views check those values themselves.
            if field.type != "HiddenField" and any(
                isinstance(value, str) and FORBIDDEN_CHARACTERS.search(value) for value in field.raw_data or ()
            ):
                field.errors = [*field.errors, _("This field contains characters that are not allowed.")]
                valid = False
            field.errors = [self._translate(error) for error in field.errors]
        self.form_errors = [self._translate(error) for error in self.form_errors]
        return valid

    def add_error(self, field_name: str, message: TranslationString | str) -> None:
        getattr(self, field_name).errors.append(self._translate(message))


class _InputRequired(validators.InputRequired):
    """Input was sent, and it is more than blanks (a name of three spaces is no name)."""

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise validators.StopValidation(self.message)


def Required() -> validators.InputRequired:
    return _InputRequired(message=_("This field is required."))


class Length:
    """Length limits with a message that stays translatable (WTForms' own %-formats it away)."""

    def __init__(self, max: int, min: int = 0) -> None:
        self.min = min
        self.max = max
        self.field_flags = {"maxlength": max, **({"minlength": min} if min else {})}

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        length = len(field.data or "")
        if length > self.max or length < self.min:
            mapping = {"min": self.min, "max": self.max}
            if self.min:
                raise validators.ValidationError(
                    _("Must be between ${min} and ${max} characters.", mapping=mapping)
                )
            raise validators.ValidationError(_("Must be at most ${max} characters.", mapping=mapping))


class MultiCheckboxField(wtforms.SelectMultipleField):
    """Several choices as a group of checkboxes."""

    widget = wtforms.widgets.ListWidget(prefix_label=False)
    option_widget = wtforms.widgets.CheckboxInput()


def valid_slug(form: wtforms.Form, field: wtforms.Field) -> None:
    if field.data and not SLUG_PATTERN.match(field.data):
        raise validators.ValidationError(
            _("Use lower-case Latin letters, digits and hyphens, like startup-night-2027."))


EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def plausible_year(form: wtforms.Form, field: wtforms.Field) -> None:
    """A date field's year must be near ours: a far-off one overflows when converted between time zones."""
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise validators.ValidationError(_("Enter a date between ${first} and ${last}.",
                                           mapping={"first": EARLIEST_YEAR, "last": LATEST_YEAR}))


def translated_choices(request: Request, labels: dict[Any, Any]) -> list[wtforms.SelectChoice]:
    """A select's choices from a label dict (keyed by string enum members or plain strings), in the
    request's language."""
    translate = request.localizer.translate
    return [wtforms.SelectChoice(str(value), translate(label)) for value, label in labels.items()]


def web_address(form: wtforms.Form, field: wtforms.Field) -> None:
    if field.data and not field.data.strip().startswith(("https://", "http://")):
        raise validators.ValidationError(_("Enter a full web address starting with https://"))


IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
# Signatures and logos are small pictures; anything larger is a mistake or a decompression bomb.
IMAGE_MAX_PIXELS = 4000 * 2000


def image_type(data: bytes) -> str | None:
    """The type of an uploaded image, from its first bytes (PNG or JPEG only)."""
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


def _readable_image(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > IMAGE_MAX_PIXELS:
                return False
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return False
    return True


class ImageUpload:
    """A PNG or JPEG of at most `max_bytes`, read no further than that; the field's data becomes
    (bytes, content type), or None when nothing was uploaded."""

    def __init__(self, max_bytes: int, wrong_type: TranslationString) -> None:
        self.max_bytes = max_bytes
        self.wrong_type = wrong_type

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        upload = field.data
        if upload is None or not hasattr(upload, "file"):
            field.data = None
            return
        data = upload.file.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise ValidationError(_("The image must be at most ${size} KB.", mapping={"size": self.max_bytes // 1024}))
        kind = image_type(data)
        if kind is None or not _readable_image(data):
            raise ValidationError(self.wrong_type)
        field.data = (data, kind)
