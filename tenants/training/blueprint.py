from saas.tenancy import tenant_blueprint

from .forms import KIND_LABELS, ORGANISER_LABELS

bp = tenant_blueprint("training", __name__, "/training")


@bp.context_processor
def _labels():
    return {"kind_labels": KIND_LABELS, "organiser_labels": ORGANISER_LABELS}
