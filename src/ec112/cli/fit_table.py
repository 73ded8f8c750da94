"""Tables that stay readable in an 80-column terminal: what must be read is never cut, the rest gives way.

rich shrinks every column of a table too wide for the terminal until each shows two letters and an ellipsis ("11…").
A ticket number read out over the phone must never look like that. So each column says whether it is essential (kept
whole: ``no_wrap``, its full width) or may fold (long free text wraps), and the optional ones that do not fit are
left out, in the order given (the least useful last), with a caption naming them (``--json`` has everything). When
even the essential columns do not fit, each row is stacked as ``header: value`` lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

FOLD_MIN = 12  # a folding column is worth showing from this many cells


@dataclass(frozen=True, slots=True)
class Col:
    header: str
    essential: bool = False  # never dropped (and never cut, unless it folds)
    fold: bool = False  # free text: wraps between words (from FOLD_MIN cells) instead of being dropped
    min_width: int = 0  # a folding column's narrowest, when its words are longer than FOLD_MIN (phone numbers)


Cell = str | Text


def _width(cell: Cell) -> int:
    text = cell.plain if isinstance(cell, Text) else cell
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _header_width(col: Col) -> int:
    """A folding column's header may wrap between words; another's is whole on one line."""
    if not col.fold or not col.header.strip():
        return cell_len(col.header)
    return max(cell_len(word) for word in col.header.split())


def _frame(columns: int) -> int:
    """Cells a rich table (default box, padding 1) spends on borders and padding around ``columns`` columns."""
    return 3 * columns + 1


def fit_table(title: str, cols: Sequence[Col], rows: Sequence[Sequence[Cell]], width: int, *,
              show_lines: bool = False) -> RenderableType:
    """``rows`` as a table no wider than ``width`` (see the module docstring)."""
    natural = [max([_header_width(c), *(_width(row[i]) for row in rows)]) for i, c in enumerate(cols)]
    need = [min(natural[i], max(FOLD_MIN, c.min_width)) if c.fold else natural[i] for i, c in enumerate(cols)]
    chosen = [i for i, c in enumerate(cols) if c.essential]
    if sum(need[i] for i in chosen) + _frame(len(chosen)) > width:
        return stacked(title, cols, rows)
    for i, col in enumerate(cols):
        if not col.essential and sum(need[j] for j in (*chosen, i)) + _frame(len(chosen) + 1) <= width:
            chosen.append(i)
    chosen.sort()
    # Fixed widths (rich's own shrinking overshoots with several folding columns): the room left is shared evenly
    # among the folding columns, each up to what its text needs (the first ones taking it all left the last
    # ones a few letters wide).
    room = width - _frame(len(chosen)) - sum(need[i] for i in chosen)
    widths = {i: need[i] for i in chosen}
    growing = [i for i in chosen if cols[i].fold and natural[i] > need[i]]
    while room > 0 and growing:
        share = max(1, room // len(growing))
        for i in list(growing):
            extra = min(share, natural[i] - widths[i], room)
            widths[i], room = widths[i] + extra, room - extra
            if widths[i] >= natural[i]:
                growing.remove(i)
            if room == 0:
                break
    hidden = [c.header for i, c in enumerate(cols) if i not in chosen]
    caption = f"tidak tampil / not shown: {', '.join(hidden)} (--json)" if hidden else None
    table = Table(title=title, caption=caption, show_lines=show_lines)
    for i in chosen:
        if cols[i].fold:
            table.add_column(cols[i].header, overflow="fold", width=widths[i])
        else:  # short values (or essential ones): whole, on one line
            table.add_column(cols[i].header, no_wrap=True, width=widths[i])
    for row in rows:
        table.add_row(*(row[i] for i in chosen))
    return table


def stacked(title: str, cols: Sequence[Col], rows: Sequence[Sequence[Cell]]) -> RenderableType:
    """One block per row, one ``header: value`` line per column: for terminals narrower than the essentials."""
    table = Table(title=title, show_header=False, show_lines=True)
    table.add_column("", overflow="fold")
    for row in rows:
        block = Text()
        for col, cell in zip(cols, row, strict=True):
            value = cell.plain if isinstance(cell, Text) else cell
            block.append(f"{col.header}: ", style="bold")
            block.append(value.replace("\n", " · ") + "\n")
        block.rstrip()
        table.add_row(block)
    return table
