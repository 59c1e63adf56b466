"""Where the follow-through charts' bars, points and labels go, worked out on the server so
the page needs no script and no CDN: templates/commitments/_charts.html draws them as inline
SVG. Sizes are in the SVG's own units; the SVG scales to the width it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assembly.commitments.figures import Month, Tally

# The month chart: 360 units wide, so on a 360 px phone its text stays near its own size.
WIDTH = 360
HEIGHT = 230
LEFT = 30
RIGHT = 6
TOP = 14
BOTTOM = 40
BAR = 9
GAP = 2


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str
    value: int


@dataclass
class Slot:
    """One month: its bars (made; done on time, late, undated stacked), its label."""

    month: Month
    x: float
    centre: float
    bars: list[Rect] = field(default_factory=list)
    open_y: float = 0.0


@dataclass
class Tick:
    value: int
    y: float


@dataclass
class MonthChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    slots: list[Slot]
    ticks: list[Tick]

    @property
    def open_points(self) -> str:
        return " ".join(f"{s.centre:.1f},{s.open_y:.1f}" for s in self.slots)


def nice_step(top: int, most: int = 5) -> int:
    """A step of 1, 2 or 5 times a power of ten giving at most `most` steps up to `top`."""
    power = 1
    while True:
        for base in (1, 2, 5):
            step = base * power
            if top <= step * most:
                return step
        power *= 10


def month_chart(months: list[Month]) -> MonthChart:
    highest = max([1, *(max(m.made, m.done, m.open_at_end) for m in months)])
    step = nice_step(highest)
    top_value = step * -(-highest // step)
    bottom = HEIGHT - BOTTOM
    scale = (bottom - TOP) / top_value

    def y(value: float) -> float:
        return bottom - value * scale

    slot_width = (WIDTH - LEFT - RIGHT) / max(1, len(months))
    slots = []
    for i, month in enumerate(months):
        x = LEFT + i * slot_width
        centre = x + slot_width / 2
        slot = Slot(month, x, centre, open_y=y(month.open_at_end))
        made_x = centre - GAP / 2 - BAR
        if month.made:
            slot.bars.append(
                Rect(made_x, y(month.made), BAR, month.made * scale, "made", month.made)
            )
        done_x = centre + GAP / 2
        level = 0
        for kind, value in (
            ("on_time", month.done_on_time),
            ("late", month.done_late),
            ("undated", month.done_undated),
        ):
            if value:
                slot.bars.append(Rect(done_x, y(level + value), BAR, value * scale, kind, value))
                level += value
        slots.append(slot)
    ticks = [Tick(v, y(v)) for v in range(0, top_value + 1, step)]
    return MonthChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, bottom, slots, ticks)


# --- a bar of 100 % per time frame (or per person) ---------------------------------------------

SPLIT_WIDTH = 300
SPLIT_HEIGHT = 24
SPLIT_KINDS = ("on_time", "late", "undated", "on_track", "overdue")


def split_bar(t: Tally) -> list[Rect]:
    """Done on time, late, without due date, open on track and overdue, side by side as
    shares of the counted commitments."""
    total = t.counted
    if not total:
        return []
    values = dict(
        zip(
            SPLIT_KINDS,
            (t.done_on_time, t.done_late, t.done_undated, t.on_track, t.overdue),
            strict=True,
        )
    )
    rects, x = [], 0.0
    for kind, value in values.items():
        if value:
            width = SPLIT_WIDTH * value / total
            rects.append(Rect(x, 0, width, SPLIT_HEIGHT, kind, value))
            x += width
    return rects
