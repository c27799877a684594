"""Text copied or searched from a PDF must be the characters written.

Noto CJK maps a Kangxi radical (U+2F00–U+2FDF) and the ideograph it looks like (示 U+793A and
⽰ U+2F70) to the same glyph. When wkhtmltopdf (Qt) writes a font's ToUnicode map it keeps, for
each glyph, the lowest code point mapped to it: the radical. So about 4 % of Chinese text in our
PDFs extracted as radicals (示 → ⽰, 工 → ⼯, 一 → ⼀) and searching a dossier for 示范 found
nothing. Every PDF the app makes passes through `fix_text_map`, which rewrites the destination
side of each ToUnicode map back to the ideograph.

RADICALS pairs each radical or CJK stroke/radical-supplement code point with the ideograph that
shares its glyph in every Simplified Chinese face of Debian's fonts-noto-cjk (Sans, Sans Mono,
Serif; Regular and Bold: no face disagrees). It was read from the fonts' cmap tables with
fontTools: for a code point in U+2E80–U+2FDF whose glyph is also mapped from a CJK ideograph,
the lowest such ideograph. Where NFKC has a mapping the two agree; the 83 pairs of the radicals
supplement (⻔ → 门, ⻢ → 马) have none. tests/test_pdf_text.py renders every ideograph of the table
and compares the extracted text with the source.
"""

from __future__ import annotations

import io
import re

_PAIRS = (
    "⺂乛⺃乚⺅亻⺇𠘨⺉刂⺋㔾⺍𭕄⺎兀⺏尣⺐尢⺒巳⺓幺⺔彑⺕彐⺖忄⺘扌⺙攵⺛旡⺞歺⺟母⺠民⺡氵⺣灬⺤爫⺦丬⺨犭⺩𤣩⺫罒⺭礻⺮𥫗⺯糹⺰纟⺱罓⺲罒⺳㓁⺹耂⺺肀⺽𦥑⺾艹⻁虎"
    "⻂衤⻃覀⻅见⻆角⻇𧢲⻈讠⻉贝⻊𧾷⻋车⻌辶⻐钅⻑長⻒镸⻓长⻔门⻕𨸏⻖阝⻘青⻙韦⻚页⻛风⻜飞⻝食⻞𩙿⻟飠⻠饣⻡𩠐⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻮齿⻯竜"
    "⻰龙⻱龜⻲亀⻳龟⼀一⼁丨⼂丶⼃丿⼄乙⼅亅⼆二⼇亠⼈人⼉儿⼊入⼋八⼌冂⼍冖⼎冫⼏几⼐凵⼑刀⼒力⼓勹⼔匕⼕匚⼖匸⼗十⼘卜⼙卩⼚厂⼛厶⼜又⼝口⼞囗⼟土⼠士⼡夂⼢夊⼣夕"
    "⼤大⼥女⼦子⼧宀⼨寸⼩小⼪尢⼫尸⼬屮⼭山⼮巛⼯工⼰己⼱巾⼲干⼳幺⼴广⼵廴⼶廾⼷弋⼸弓⼺彡⼻彳⼼心⼽戈⼾户⼿手⽀支⽁攴⽂文⽃斗⽄斤⽅方⽆无⽇日⽈曰⽉月⽊木⽋欠⽌止"
    "⽍歹⽎殳⽏毋⽐比⽑毛⽒氏⽓气⽔水⽕火⽖爪⽗父⽘爻⽙爿⽚片⽛牙⽜牛⽝犬⽞玄⽟玉⽠瓜⽡瓦⽢甘⽣生⽤用⽥田⽦疋⽧疒⽨癶⽩白⽪皮⽫皿⽬目⽭矛⽮矢⽯石⽰示⽱禸⽲禾⽳穴⽴立"
    "⽵竹⽶米⽷糸⽸缶⽹网⽺羊⽻羽⽼老⽽而⽾耒⽿耳⾀聿⾁肉⾂臣⾃自⾄至⾅臼⾆舌⾇舛⾈舟⾉艮⾊色⾋艸⾌虍⾍虫⾎血⾏行⾐衣⾑襾⾒見⾔言⾕谷⾖豆⾗豕⾘豸⾙貝⾚赤⾛走⾜足⾝身"
    "⾞車⾟辛⾠辰⾡辵⾢邑⾣酉⾤釆⾥里⾦金⾧長⾨門⾩阜⾪隶⾫隹⾬雨⾭靑⾮非⾯面⾰革⾱韋⾲韭⾳音⾴頁⾵風⾶飛⾷食⾸首⾹香⾺馬⾼高⾽髟⾾鬥⾿鬯⿀鬲⿁鬼⿂魚⿃鳥⿄鹵⿅鹿⿆麥"
    "⿇麻⿈黃⿉黍⿊黑⿋黹⿌黽⿍鼎⿎鼓⿏鼠⿐鼻⿑齊⿒齒⿓龍⿕龠"
)
RADICALS = {ord(_PAIRS[i]): ord(_PAIRS[i + 1]) for i in range(0, len(_PAIRS), 2)}

# A CMap's entries: bfchar `<src> <dst>`, bfrange `<lo> <hi> [<dst> …]` or `<lo> <hi> <dst>`.
# Only destinations are rewritten; a source code (a CID) is never touched.
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_CHAR = re.compile(rb"(<[0-9A-Fa-f]+>\s*)(<[0-9A-Fa-f]+>)")
_RANGE = re.compile(rb"(<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*)(\[[^\]]*\]|<[0-9A-Fa-f]+>)")
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _utf16_hex(text: str) -> bytes:
    return text.encode("utf-16-be").hex().upper().encode()


def _fix_destination(match: re.Match) -> bytes:
    raw = match.group(1)
    try:
        text = bytes.fromhex(raw.decode()).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return match.group(0)
    fixed = "".join(chr(RADICALS.get(ord(c), ord(c))) for c in text)
    return match.group(0) if fixed == text else b"<" + _utf16_hex(fixed) + b">"


def _fix_range(match: re.Match) -> bytes:
    head, dst = match.group(1), match.group(2)
    if dst.startswith(b"["):
        return head + _HEX.sub(_fix_destination, dst)
    # `<lo> <hi> <dst>`: codes lo…hi map to dst, dst+1, … (wkhtmltopdf writes this where the
    # destinations run in order, as radicals of a sorted text do). Where any of them is a radical
    # the range becomes an array of its destinations, each repaired.
    lo, hi = (int(h, 16) for h in _HEX.findall(head))
    start = int(dst[1:-1], 16)
    if len(dst) != 6 or hi < lo or hi - lo > 0xFF:
        return match.group(0)
    codes = [start + i for i in range(hi - lo + 1)]
    if not any(c in RADICALS for c in codes):
        return match.group(0)
    return head + b"[" + b" ".join(b"<%04X>" % RADICALS.get(c, c) for c in codes) + b"]"


def fix_cmap(data: bytes) -> bytes:
    """A ToUnicode CMap with every radical destination replaced by its ideograph."""
    data = _BFCHAR.sub(lambda m: b"beginbfchar" + _CHAR.sub(
        lambda e: e.group(1) + _HEX.sub(_fix_destination, e.group(2)), m.group(1)) + b"endbfchar", data)
    return _BFRANGE.sub(lambda m: b"beginbfrange" + _RANGE.sub(_fix_range, m.group(1)) + b"endbfrange", data)


def _fonts(resources, seen: set):
    """Every font dictionary reachable from a resources dictionary (forms included)."""
    if resources is None:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        if id(font) not in seen:
            seen.add(id(font))
            yield font
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
            seen.add(id(xobject))
            yield from _fonts(xobject.get("/Resources"), seen)


def fix_text_map(pdf: bytes) -> bytes:
    """`pdf` with its fonts' ToUnicode maps naming ideographs, not radicals; unchanged (the same
    bytes) when no map needed it. Deterministic: the same input gives the same output."""
    if b"/ToUnicode" not in pdf:
        return pdf
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    changed, seen = False, set()
    for page in writer.pages:
        for font in _fonts(page.get("/Resources"), seen):
            cmap = font.get("/ToUnicode")
            if cmap is None:
                continue
            cmap = cmap.get_object()
            data = cmap.get_data()
            fixed = fix_cmap(data)
            if fixed != data:
                cmap.set_data(fixed)
                changed = True
    if not changed:
        return pdf
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
