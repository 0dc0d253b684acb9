"""The one table a run prints: caption lines, then rows of figures, one column per backend."""

from __future__ import annotations

from collections.abc import Mapping

NOT_APPLICABLE = "-"


class Table:
    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.captions: list[str] = []
        self._rows: list[list[str]] = []

    def caption(self, line: str) -> None:
        self.captions.append(line)

    def section(self, title: str) -> None:
        self._rows.append([f"**{title}**", *[""] * (len(self.columns) + 1)])

    def row(self, label: str, cells: Mapping[str, str], target: str = "") -> None:
        figures = [cells.get(column, NOT_APPLICABLE) for column in self.columns]
        self._rows.append([label, *figures, target])

    def render(self) -> str:
        header = ["", *self.columns, "target"]
        widths = [max(len(row[i]) for row in [header, *self._rows]) for i in range(len(header))]

        def line(cells: list[str]) -> str:
            padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
            return "| " + " | ".join(padded) + " |"

        rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
        body = [line(header), rule, *(line(row) for row in self._rows)]
        return "\n".join([*self.captions, "", *body])


def ops(ops_per_second: float) -> str:
    return f"{ops_per_second:,.0f} ops/s"


def micros(seconds: float, signed: bool = False) -> str:
    return f"{seconds * 1e6:{'+' if signed else ''},.0f} µs"


def times(ratio: float) -> str:
    return f"{ratio:.2f}x"


def verdict(value: float, limit: float, at_most: bool = True) -> str:
    """`≤ 1.10x: met`, or `≥ 20x: NOT met`, for a value against its target."""
    met = value <= limit if at_most else value >= limit
    return f"{'≤' if at_most else '≥'} {times(limit)}: {'met' if met else 'NOT met'}"
