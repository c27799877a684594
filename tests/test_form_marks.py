"""Forms (issue 22): a page of one form says what its asterisks mean when a field is required;
every filter form offers the list without its filters."""

from __future__ import annotations

import re

from flask import render_template

from saas.admin.forms import BureauForm, ConfirmForm


def test_a_form_with_required_fields_explains_the_marker(app):
    with app.test_request_context("/"):
        form = BureauForm()
        form.parent_id.choices = []
        page = render_template("_form_page.html", form=form, title="t")
        assert "required-legend" in page
        assert re.search(r'<div class="mb-3 required"><label class="form-label" for="name">', page)  # app.css marks it
        assert re.search(r'<input[^>]*id="name"[^>]*required', page)
        assert "required-legend" not in render_template("_form_page.html", form=ConfirmForm(), title="t")


def test_filter_forms_reset_to_the_bare_list(make, login_as):
    tenant = make.tenant(slug="marks")
    make.user("boss@example.com", tenant=tenant, role="admin")
    client = login_as("boss@example.com")
    for path in ("/t/marks/members/", "/t/marks/visits/", "/t/marks/training/", "/t/marks/audit/",
                 "/t/marks/settings/users", "/notifications/"):
        page = client.get(path + "?q=x&status=y").get_data(as_text=True)
        assert re.search(rf'<a class="btn btn-link reset-filters" href="{re.escape(path)}">', page), path
