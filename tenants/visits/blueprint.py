from datetime import date

from saas.tenancy import tenant_blueprint

from .forms import MODE_LABELS, STATUS_LABELS, TOPIC_LABELS

bp = tenant_blueprint("visits", __name__, "/visits")


@bp.context_processor
def _labels():
    return {"mode_labels": MODE_LABELS, "topic_labels": TOPIC_LABELS, "visit_status_labels": STATUS_LABELS,
            "today": date.today()}
