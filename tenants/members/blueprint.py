from saas.tenancy import tenant_blueprint

from datetime import date

from .checklists import CORE_ITEMS, ITEM_TITLES
from .forms import FLAG_LABELS, SEVERITY_LABELS, STATUS_LABELS, VULNERABILITY_STATUS_LABELS

bp = tenant_blueprint("members", __name__, "/members")
# "demonstration" colours the roster's filter of recognised units (not a status any more).
STATUS_COLORS = {"liaison": "secondary", "cultivating": "info", "demonstration": "success", "withdrawn": "dark"}


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "status_colors": STATUS_COLORS, "flag_labels": FLAG_LABELS,
            "severity_labels": SEVERITY_LABELS, "vulnerability_status_labels": VULNERABILITY_STATUS_LABELS,
            "item_titles": ITEM_TITLES, "core_total": len(CORE_ITEMS), "today_year": date.today().year}
