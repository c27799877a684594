from datetime import date

from saas.tenancy import tenant_blueprint

from .forms import CASE_LABELS, CATEGORY_LABELS, EMPLOYMENT_LABELS, FOLLOW_UP_LABELS, OFFICE_LABELS

bp = tenant_blueprint("stations", __name__, "/stations")


@bp.context_processor
def _labels():
    return {"office_labels": OFFICE_LABELS, "employment_labels": EMPLOYMENT_LABELS,
            "category_labels": CATEGORY_LABELS, "case_labels": CASE_LABELS, "follow_up_labels": FOLLOW_UP_LABELS,
            "today": date.today()}
