"""The roster as a spreadsheet: one column list serves the import template, the import and the
export, so an export re-imported in update mode changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from saas import workbook, xlsx

from .models import FLAGS

# key, Chinese header, English header
COLUMNS = [
    ("name", "企业名称", "Name"),
    ("credit_code", "统一社会信用代码", "Unified social credit code"),
    ("industry", "所属行业", "Industry"),
    ("employees", "职工人数", "Employees"),
    ("status", "状态", "Status"),
    ("joined_on", "加入日期", "Joined on"),
    ("high_tech", "高新技术企业", "High-tech"),
    ("specialised", "专精特新", "Specialised and innovative"),
    ("gazelle", "瞪羚企业", "Gazelle"),
    ("champion", "制造业单项冠军", "Single champion"),
    ("time_honoured", "老字号", "Time-honoured brand"),
    ("adopted_standard", "已贯标", "Adopted the standard"),
    ("adopted_on", "贯标日期", "Adopted on"),
    ("withdrawn_on", "退出日期", "Withdrawn on"),
    ("withdrawal_reason", "退出原因", "Withdrawal reason"),
    ("liaison_name", "联络员", "Liaison person"),
    ("liaison_position", "联络员职务", "Liaison position"),
    ("liaison_mobile", "联络员手机", "Liaison mobile"),
    ("liaison_landline", "联络员座机", "Liaison landline"),
    ("liaison_email", "联络员邮箱", "Liaison email"),
]
KEYS = [c[0] for c in COLUMNS]
REQUIRED = ("name", "credit_code")
DATES = ("joined_on", "adopted_on", "withdrawn_on")
BOOLS = (*FLAGS, "adopted_standard")
STATUS_WORDS = {"liaison": "liaison", "联系企业": "liaison", "cultivating": "cultivating", "培育对象": "cultivating",
                "withdrawn": "withdrawn", "已退出": "withdrawn", "退出": "withdrawn"}
STATUS_ZH = {"liaison": "联系企业", "cultivating": "培育对象", "withdrawn": "已退出"}
# A sheet cannot make a demonstration unit: that is a bureau's recognition, recorded with its
# certificate under Demonstration units. These words get a row error saying so.
DEMONSTRATION_WORDS = {"demonstration", "示范企业", "示范单位"}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "n", "no", "false", "0", ""}
HEADER_KEYS = {h: k for k, zh, en in COLUMNS for h in (zh, en.lower())}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Sheet:
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (Excel row number, values)
    errors: list[RowError] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# A roster of a few thousand members; more columns than the template's are ignored.
MAX_ROWS = 20_000
MAX_COLS = 64


def read_rows(data: bytes) -> Sheet:
    """Raw values by column key, from the first sheet; finds the header row itself (the
    template has notes above it, an export has the tenant name and time)."""
    sheet = Sheet()
    columns: dict[int, str] | None = None
    for number, cells in workbook.rows(data, max_rows=MAX_ROWS, max_cols=MAX_COLS):
        if columns is None:
            heads = [_text(c).rstrip("* ").strip() for c in cells]  # the template marks required columns with *
            found = {i: HEADER_KEYS.get(t, HEADER_KEYS.get(t.lower())) for i, t in enumerate(heads)}
            found = {i: k for i, k in found.items() if k}
            if "credit_code" in found.values():
                columns = found
                missing = [k for k in REQUIRED if k not in found.values()]
                for key in missing:
                    sheet.errors.append(RowError(number, _header(key), _("This column is missing.")))
            elif number >= 10:
                break
            continue
        values = {key: cells[i] for i, key in columns.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):  # blank row
            continue
        # The English header row under the Chinese one.
        if _text(values.get("credit_code")).lower() == "unified social credit code":
            continue
        sheet.rows.append((number, values))
    if columns is None:
        sheet.errors.append(RowError(1, _header("credit_code"),
                                     _("No header row found: use the import template.")))
    return sheet


def _header(key: str) -> str:
    return next(zh for k, zh, _en in COLUMNS if k == key)


def parse_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    return datetime.strptime(text, "%Y-%m-%d").date()


def parse_bool(value) -> bool:
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(text)


def template() -> bytes:
    book = xlsx.Book()
    sheet = book.sheet("联系企业")
    sheet.append(["联系企业名录导入模板 — 从第 5 行起（第 3、4 行为中英文表头）每行填写一家企业；带 * 的列必填；"
                  "日期格式如 2024-03-01；是/否列填“是”或“否”；状态填：联系企业 / 培育对象 / 已退出（须填退出原因）；示范单位由认定产生，不在此填写。"])
    sheet.append(["Import template — one enterprise per row from row 5 (rows 3 and 4 are the Chinese and English "
                  "headers); columns marked * are required; dates like 2024-03-01; yes/no columns take 是 or 否; "
                  "status: 联系企业 / 培育对象 / 已退出."])
    _header_rows(sheet, bold=True)
    return book.to_bytes()


def _header_rows(sheet, bold: bool = False) -> None:
    sheet.append([zh + (" *" if k in REQUIRED else "") for k, zh, _en in COLUMNS], bold=bold)
    sheet.append([en for _k, _zh, en in COLUMNS])


CONTACT_KEYS = ("liaison_mobile", "liaison_landline", "liaison_email")


def export_columns(contacts: bool) -> list[tuple[str, str, str]]:
    """The export's columns: without the liaison's contact details unless asked for (personal
    data, tenants/members/privacy.py). A sheet without those columns leaves them as they are
    when imported, so an export re-imported still changes nothing."""
    return [c for c in COLUMNS if contacts or c[0] not in CONTACT_KEYS]


def export_values(enterprise, keys: list[str] | None = None) -> list:
    liaison = enterprise.current
    yes = lambda v: "是" if v else "否"  # noqa: E731
    values = {
        "name": enterprise.name, "credit_code": enterprise.credit_code, "industry": enterprise.industry,
        "employees": enterprise.employees, "status": STATUS_ZH[enterprise.status], "joined_on": enterprise.joined_on,
        "adopted_on": enterprise.adopted_on,
        "withdrawn_on": enterprise.withdrawn_on, "withdrawal_reason": enterprise.withdrawal_reason,
        "liaison_name": liaison.name if liaison else "", "liaison_position": liaison.position if liaison else "",
        "liaison_mobile": liaison.mobile if liaison else "", "liaison_landline": liaison.landline if liaison else "",
        "liaison_email": liaison.email if liaison else "",
    }
    values.update({b: yes(getattr(enterprise, b)) for b in BOOLS})
    return [values[k] for k in keys or KEYS]


def roster_xlsx(tenant_name: str, enterprises, exported_at: datetime, contacts: bool = False,
                english: bool = False) -> bytes:
    """The roster as a workbook that imports again: one header row, in the reader's language
    (the importer knows the columns by either name)."""
    columns = export_columns(contacts)
    keys = [c[0] for c in columns]
    book = xlsx.Book()
    sheet = book.sheet("联系企业")
    sheet.append([f"{tenant_name} 联系企业名录", f"导出时间 {exported_at:%Y-%m-%d %H:%M}"])
    sheet.append([(en if english else zh) + (" *" if k in REQUIRED else "") for k, zh, en in columns], bold=False)
    for enterprise in enterprises:
        sheet.append(export_values(enterprise, keys))
    return book.to_bytes()


def roster_csv(enterprises, contacts: bool = False) -> bytes:
    columns = export_columns(contacts)
    keys = [c[0] for c in columns]
    return xlsx.csv_bytes([[zh for _k, zh, _en in columns], *(export_values(e, keys) for e in enterprises)])
