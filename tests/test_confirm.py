"""Type-to-confirm (issue 22, saas/confirm.py): an irreversible action goes ahead only when the
name shown is typed back, checked on the server whatever the page's script did."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from saas.confirm import TypedConfirmForm


@pytest.mark.parametrize("typed, ok", [
    ("年度保密培训", True),
    ("  年度保密培训 ", True),   # spaces around are forgiven (a phone keyboard adds them)
    ("年度培训", False),
    ("年度保密培训。", False),
    ("", False),
    (None, False),
])
def test_only_the_name_typed_back_confirms(app, typed, ok):
    data = MultiDict({} if typed is None else {"typed": typed})
    with app.test_request_context("/", method="POST", data=data):
        form = TypedConfirmForm("年度保密培训")
        assert form.validate_on_submit() is ok
        assert bool(form.typed.errors) is not ok


def test_a_get_never_confirms(app):
    with app.test_request_context("/?typed=x", method="GET"):
        assert not TypedConfirmForm("x").validate_on_submit()


def test_the_confirm_page_asks_for_the_name(app):
    from flask import render_template

    with app.test_request_context("/", method="POST", data={"typed": "wrong"}):
        form = TypedConfirmForm("指导站工作制度.pdf")
        form.validate()
        html = render_template("_confirm_page.html", form=form, back="/", question="?")
    assert 'name="typed"' in html and "指导站工作制度.pdf" in html and 'aria-invalid="true"' in html
    with app.test_request_context("/"):
        from tenants.training.forms import ConfirmForm

        plain = render_template("_confirm_page.html", form=ConfirmForm(), back="/", question="?")
    assert 'name="typed"' not in plain  # a reversible action keeps its one-click confirmation
