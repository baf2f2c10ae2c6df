"""The benchmark's output: rows of measurements and ratios, rendered as Markdown tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from timing import Ratio, Series


@dataclass(frozen=True)
class Measurement:
    id: str  # stable key (the smoke test looks rows up by it)
    what: str
    series: Series
    note: str = ""


@dataclass(frozen=True)
class RatioRow:
    id: str
    what: str
    ratio: Ratio
    goal: str = ""
    met: bool | None = None  # None: informative, no goal


@dataclass(frozen=True)
class Goal:
    """An absolute goal on one measured figure (ratio goals live on their RatioRow)."""

    id: str
    goal: str
    measured: str
    met: bool


@dataclass(frozen=True)
class Section:
    title: str
    measurements: list[Measurement]
    ratios: list[RatioRow]
    notes: list[str]
    goals: list[Goal] = field(default_factory=list)


def _s(seconds: float) -> str:
    return f"{seconds:.3f}"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def _met(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[met]


def measurements_table(rows: list[Measurement]) -> list[str]:
    out = [
        "| id | measurement | median s | min s | max s | peak RSS MiB | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        s = r.series
        out.append(
            f"| `{r.id}` | {r.what} | {_s(s.median)} | {_s(s.low)} | {_s(s.high)} | {s.peak_rss:.0f} | {r.note} |"
        )
    return out


def ratios_table(rows: list[RatioRow]) -> list[str]:
    out = [
        "| id | ratio (run by run) | median | min | max | goal | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        q = r.ratio
        out.append(
            f"| `{r.id}` | {r.what} | {_x(q.median)} | {_x(q.low)} | {_x(q.high)} | {r.goal or '-'} | {_met(r.met)} |"
        )
    return out


def goals_table(rows: list[Goal]) -> list[str]:
    out = ["| id | goal | measured (median) | met |", "|---|---|---|---|"]
    out += [f"| `{g.id}` | {g.goal} | {g.measured} | {_met(g.met)} |" for g in rows]
    return out


def render(header: list[str], sections: list[Section]) -> str:
    lines = list(header)
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        lines += measurements_table(section.measurements)
        if section.ratios:
            lines += ["", *ratios_table(section.ratios)]
        if section.goals:
            lines += ["", *goals_table(section.goals)]
        if section.notes:
            lines += ["", *section.notes]
    return "\n".join(lines) + "\n"
