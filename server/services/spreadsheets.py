"""What a workbook cell may hold: text from the database made safe for openpyxl and for the office's Excel.

Every writer of an .xlsx (the weekly report, the import template, …) passes its values through `cell_value`:
the schemas refuse control characters today, but rows written before they did, or by another path (a CSV of
areas, a restored backup, a hand-edited database), must never make an export fail for good.
"""

import re

from openpyxl.worksheet.properties import PageSetupProperties

# What XML 1.0 (and so openpyxl, which raises IllegalCharacterError on the C0 part) cannot hold: C0 controls
# but tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A vertical tab is Word's line break within a paragraph (pasted into a phone's text field), a form feed a
# page break: in a cell both mean a new line.
_BREAKS = re.compile("[\x0b\x0c]")


def cell_value(value):
    """`value` as a cell may hold it: text without the characters XML refuses (a vertical tab or form feed
    becomes a line break); anything but text unchanged."""
    if isinstance(value, str) and _ILLEGAL.search(value):
        return _ILLEGAL.sub("", _BREAKS.sub("\n", value))
    return value


def is_formula(value) -> bool:
    """Text Excel would run as a formula: written as text, so no formula from a phone runs in the office."""
    return isinstance(value, str) and value.startswith("=")


def append_text_row(sheet, values) -> None:
    """Append a row to an ordinary (not write-only) worksheet: each value made safe, formulas kept as text."""
    sheet.append([cell_value(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if is_formula(cell.value):
            cell.data_type = "s"


def set_print_layout(sheet, header_row: int, footer: bool = True) -> None:
    """Print as an office hands it upward: A4 landscape, one page wide (as many long as it takes), the header
    row repeated on every page, centred, page numbers in the footer. Works on write-only sheets too (set it
    before the first row is streamed)."""
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    if footer:
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
