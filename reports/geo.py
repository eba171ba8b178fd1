"""Distances on the Earth, filtering of GPS trails, and the offline route drawing."""

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

# The mean Earth radius (IUGG), in metres.
EARTH_RADIUS_M = 6_371_008.8

LatLng = tuple[float, float]


def distance_m(a: LatLng, b: LatLng) -> float:
    """Return the great-circle distance between two points, in metres (haversine)."""
    lat1, lng1 = map(math.radians, a)
    lat2, lng2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class Fix:
    """A position at a time, as the trail filter sees it."""

    at: dt.datetime
    latitude: float
    longitude: float
    stored: bool = False

    @property
    def point(self) -> LatLng:
        return (self.latitude, self.longitude)


def plausible_fixes(fixes: Sequence[Fix], max_speed_mps: float) -> list[Fix]:
    """Return the fixes in time order without the impossible jumps.

    A fix is dropped when reaching it from the last kept fix needs more than
    ``max_speed_mps``, and when a fix at the same time was already kept.
    Stored fixes are always kept, so a new batch never changes the old trail.
    """
    kept: list[Fix] = []
    ordered = sorted(fixes, key=lambda fix: (fix.at, not fix.stored))
    for fix in ordered:
        if not kept:
            kept.append(fix)
            continue
        last = kept[-1]
        seconds = (fix.at - last.at).total_seconds()
        if fix.stored:
            kept.append(fix)
        elif seconds <= 0:
            continue
        elif distance_m(last.point, fix.point) / seconds <= max_speed_mps:
            kept.append(fix)
    return kept


def trail_length_m(points: Sequence[LatLng]) -> float:
    return sum(distance_m(a, b) for a, b in itertools.pairwise(points))


@dataclass(frozen=True)
class RouteDrawing:
    """The trail projected into an SVG view box, with its start and end."""

    width: int
    height: int
    path: str
    start: tuple[float, float] | None
    end: tuple[float, float] | None


def draw_route(
    points: Sequence[LatLng], width: int = 320, height: int = 220, margin: int = 14
) -> RouteDrawing:
    """Project the points onto a flat map that fits the box, north up.

    An equirectangular projection around the trail's middle latitude is
    exact enough for a walk of a few kilometres.
    """
    if not points:
        return RouteDrawing(width, height, "", None, None)
    middle_latitude = math.radians(sum(p[0] for p in points) / len(points))
    xs = [p[1] * math.cos(middle_latitude) for p in points]
    ys = [p[0] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    scale = min(width - 2 * margin, height - 2 * margin) / span
    x_offset = (width - (max(xs) - min(xs)) * scale) / 2
    y_offset = (height - (max(ys) - min(ys)) * scale) / 2
    projected = [
        (
            round(x_offset + (x - min(xs)) * scale, 1),
            round(height - y_offset - (y - min(ys)) * scale, 1),
        )
        for x, y in zip(xs, ys, strict=True)
    ]
    path = " ".join(
        f"{'M' if index == 0 else 'L'}{x} {y}" for index, (x, y) in enumerate(projected)
    )
    return RouteDrawing(width, height, path, projected[0], projected[-1])
