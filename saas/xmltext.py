"""Text that XML 1.0 can carry. Excel and Word files are XML: one vertical tab (\\x0b, which Word
puts in text copied from it) or another C0 control character in a stored name would make every
export that includes it fail. Such characters are dropped where text comes in (form posts and
query arguments, the JSON API, imported workbooks, upload names) and again where files are
written, for anything stored before."""

from __future__ import annotations

import re

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

# C0 controls but tab, line feed and carriage return; U+FFFE and U+FFFF; lone surrogates.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Posted forms keep NUL: the request check refuses it whole (400), binary data is not text.
_ILLEGAL_IN_FORMS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def strip(text: str) -> str:
    return ILLEGAL.sub("", text)


def clean(value):
    """`value` with every string in it stripped (JSON-like data: dicts, lists, tuples, at any depth)."""
    if isinstance(value, str):
        return strip(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean(v) for v in value)
    return value


def _form_text(value):
    return _ILLEGAL_IN_FORMS.sub("", value) if isinstance(value, str) else value


class Parameters(ImmutableMultiDict):
    """Form fields and query arguments as Werkzeug parses them, stripped: every form (WTForms or
    read by hand) gets clean text without a filter of its own. Uploaded files pass unchanged."""

    def __init__(self, mapping=None):
        super().__init__([(_form_text(k), _form_text(v)) for k, v in MultiDict(mapping).items(multi=True)])


class Request(FlaskRequest):
    parameter_storage_class = Parameters


def init_app(app) -> None:
    app.request_class = Request
