"""World maps drawn on the server: countries shaded by their number of meetings, as SVG.

The shapes come from `data/countries-110m.json`, Natural Earth's 1:110m countries as TopoJSON
(see `data/README.md`). They are decoded, projected (Natural Earth projection) and written as
SVG path data once per process, from that file only; a page then picks each country's class and
link from the summaries it has read (`CountryTally`, `PairTally`).
"""

import functools
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pycountry

DATA = Path(__file__).resolve().parent / "data" / "countries-110m.json"

WIDTH = 960  # the map's width in SVG user units; its height follows from the projection
TOLERANCE = 0.5  # units: detail finer than this is simplified away (Douglas–Peucker)
MIN_AREA = 4.0  # square units: smaller islands are left out (a country keeps its largest part)
LEFT_OUT = {"010"}  # Antarctica: no party to any meeting, and a sixth of the map's height
SHADES = 5  # classes of shading
NICE = [m * 10**e for e in range(7) for m in (1, 2, 5)]  # 1, 2, 5, 10, 20, 50, …


# TopoJSON ----------------------------------------------------------------------------------


def decode_arcs(topology):
    """The topology's arcs as lists of (x, y) positions: delta-decoded and transformed when the
    topology is quantized (it has a `transform`), as given otherwise."""
    transform = topology.get("transform")
    if not transform:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    (scale_x, scale_y), (shift_x, shift_y) = transform["scale"], transform["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        positions = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            positions.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(positions)
    return arcs


def ring(arcs, indexes):
    """The closed ring made of the arcs `indexes` (a negative index ~i is arc i reversed); each
    arc after the first starts where the previous one ended, so its first position is dropped."""
    positions = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        positions.extend(arc[1:] if positions else arc)
    return positions


def polygons(geometry, arcs):
    """A Polygon or MultiPolygon geometry as a list of polygons, each a list of rings (the
    outer ring first); any other type of geometry has none."""
    if geometry["type"] == "Polygon":
        return [[ring(arcs, indexes) for indexes in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, indexes) for indexes in polygon] for polygon in geometry["arcs"]]
    return []


# Projection and path data --------------------------------------------------------------------


def natural_earth(longitude, latitude):
    """The Natural Earth projection (Šavrič, Jenny, Patterson and Jenny, 2011) of a position in
    degrees, in units of the earth's radius, y upwards."""
    lam, phi = math.radians(longitude), math.radians(latitude)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)))
    return x, y


def tenths(value):
    """A length in tenths of a unit as SVG path text: 12 → "1.2", -5 → "-.5", 30 → "3"."""
    whole, part = divmod(abs(value), 10)
    sign = "-" if value < 0 else ""
    if not part:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{part}"


def numbers(values):
    """Path numbers joined as briefly as SVG reads them: no space before a minus sign."""
    text = ""
    for value in values:
        piece = tenths(value)
        text += piece if not text or piece.startswith("-") else " " + piece
    return text


def path_data(rings):
    """SVG path data of `rings` (lists of points in tenths of a unit): each ring an absolute move
    and relative lines, closed; repeated points dropped."""
    parts = []
    for points in rings:
        (x0, y0), deltas = points[0], []
        x, y = x0, y0
        for px, py in points[1:]:
            deltas += [px - x, py - y]
            x, y = px, py
        parts.append(f"M{numbers([x0, y0])}l{numbers(deltas)}z")
    return "".join(parts)


def area(points):
    """The area enclosed by `points`, by the shoelace formula, in the points' units squared."""
    following = points[1:] + points[:1]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, following, strict=True))) / 2


@dataclass(frozen=True)
class World:
    width: int
    height: int
    shapes: dict  # alpha-2 code: path data
    unclaimed: str  # path data of the shapes no ISO code names (Kosovo, Somaliland, N. Cyprus)


def simplify(points, tolerance):
    """`points` without those closer than `tolerance` to the line their neighbours make
    (Douglas–Peucker); the first and last points stay, so arcs still meet."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = math.hypot(x2 - x1, y2 - y1)
        farthest, distance = None, tolerance
        for index in range(first + 1, last):
            x, y = points[index]
            if length:
                d = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            else:
                d = math.hypot(x - x1, y - y1)
            if d > distance:
                farthest, distance = index, d
        if farthest is not None:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def draw(topology, width=WIDTH, tolerance=TOLERANCE, min_area=MIN_AREA, left_out=LEFT_OUT):
    """The countries of `topology` (an object `countries`, each with an ISO 3166-1 numeric `id`)
    projected onto a map `width` units wide, as path data by alpha-2 code. Arcs are simplified
    before they are joined, so neighbours keep sharing their border."""
    geometries = [g for g in topology["objects"]["countries"]["geometries"] if g.get("id") not in left_out]
    used = {index if index >= 0 else ~index for g in geometries for index in arc_indexes(g)}
    projected = [[natural_earth(*position) for position in arc] for arc in decode_arcs(topology)]
    # The whole globe's width, so the map keeps the world's proportions; the height is that of
    # the countries drawn.
    half_width = natural_earth(180, 0)[0]
    top = max(y for index in used for _x, y in projected[index])
    bottom = min(y for index in used for _x, y in projected[index])
    scale = width / (2 * half_width)
    height = math.ceil((top - bottom) * scale)
    arcs = []
    for arc in projected:
        points = simplify([((x + half_width) * scale, (top - y) * scale) for x, y in arc], tolerance)
        arcs.append([(round(x * 10), round(y * 10)) for x, y in points])

    shapes, unclaimed = {}, []
    for geometry in geometries:
        drawn = []  # (area, rings) of each polygon
        for outer, *holes in polygons(geometry, arcs):
            pieces = [r for r in cut_at_edges(without_repeats(outer), width * 5) if len(r) >= 3]
            if pieces:
                holes = [r for r in map(without_repeats, holes) if len(r) >= 3]
                drawn.append((sum(map(area, pieces)), pieces + holes))
        if not drawn:
            continue
        largest = max(size for size, _rings in drawn)
        rings = [r for size, rs in drawn if size == largest or size >= min_area * 100 for r in rs]
        country = pycountry.countries.get(numeric=geometry["id"]) if geometry.get("id") else None
        if country is None:
            unclaimed.append(path_data(rings))
            continue
        shapes[country.alpha_2] = shapes.get(country.alpha_2, "") + path_data(rings)
    return World(width=width, height=height, shapes=shapes, unclaimed="".join(unclaimed))


def arc_indexes(geometry):
    """The indexes of the arcs a Polygon or MultiPolygon geometry is made of (none for others)."""
    if geometry["type"] == "Polygon":
        return [index for indexes in geometry["arcs"] for index in indexes]
    if geometry["type"] == "MultiPolygon":
        return [index for polygon in geometry["arcs"] for indexes in polygon for index in indexes]
    return []


def cut_at_edges(points, jump):
    """A closed ring as one or more rings: where it goes from one edge of the map to the other
    (a step wider than `jump`, as Russia and Fiji do at 180°), it is cut, and each side's part
    closed along its edge. (A ring crossing more than twice would have each stretch closed on its
    own; none in the map's data does.)"""
    cuts = [i for i in range(len(points)) if abs(points[i][0] - points[i - 1][0]) > jump]
    if not cuts:
        return [points]
    start = cuts[0]
    points = points[start:] + points[:start]
    cuts = [i - start for i in cuts] + [len(points)]
    return [points[first:last] for first, last in itertools.pairwise(cuts)]


def without_repeats(points):
    """`points` (a closed ring) without a point equal to the one before it, nor a closing one."""
    kept = []
    for point in points:
        if not kept or point != kept[-1]:
            kept.append(point)
    if len(kept) > 1 and kept[0] == kept[-1]:
        kept.pop()
    return kept


@functools.cache
def world():
    """The map of the world, drawn once per process from the data file."""
    with DATA.open(encoding="utf-8") as data:
        return draw(json.load(data))


# Shading -----------------------------------------------------------------------------------


def class_bounds(top, classes=SHADES):
    """The least number of each shading class for counts from 1 to `top`: one class a number up
    to `classes`, else round numbers spaced evenly on a log scale (1, 2, 5, 20, 50 for 120)."""
    if top <= classes:
        return list(range(1, top + 1))
    bounds = [1]
    ratio = top ** (1 / classes)
    for step in range(1, classes):
        target = ratio**step
        nice = min(NICE, key=lambda n: abs(math.log(n / target)))
        if bounds[-1] < nice <= top:
            bounds.append(nice)
    return bounds


def legend(bounds, top):
    """The classes as (shade, label) pairs: the darkest shades for the fewest classes."""
    first = SHADES - len(bounds) + 1
    rows = []
    for index, low in enumerate(bounds):
        high = bounds[index + 1] - 1 if index + 1 < len(bounds) else top
        rows.append((first + index, str(low) if low == high else f"{low}–{high}"))
    return rows


def shade(count, bounds):
    """The shade (1 lightest … SHADES darkest) of `count` among the classes of `bounds`."""
    index = max(i for i, low in enumerate(bounds) if count >= low)
    return SHADES - len(bounds) + 1 + index


def world_map(entries, own=None, title="", chart_id="world-map"):
    """What the map template needs: `entries` are (country, count, url), each with a count of at
    least 1 shaded and linked when the map has its shape; `own` (a country) is marked. Countries
    without a shape (too small at this scale, or the European Union) are listed in `unmapped`."""
    drawing = world()
    entries = sorted((entry for entry in entries if entry[1] > 0), key=lambda entry: entry[0].name)
    top = max((count for _country, count, _url in entries), default=0)
    bounds = class_bounds(top) if top else []
    own_code = own.code if own is not None else None
    countries, unmapped = [], []
    for country, count, url in entries:
        if country.code not in drawing.shapes:
            unmapped.append({"name": country.name, "count": count, "url": url})
        elif country.code != own_code:
            countries.append(
                {
                    "name": country.name,
                    "count": count,
                    "url": url,
                    "shade": shade(count, bounds),
                    "d": drawing.shapes[country.code],
                }
            )
    drawn = {country.code for country, _count, _url in entries} | {own_code}
    background = "".join(d for code, d in drawing.shapes.items() if code not in drawn)
    return {
        "chart_id": chart_id,
        "title": title,
        "width": drawing.width,
        "height": drawing.height,
        "background": background + drawing.unclaimed,
        "countries": countries,
        "own": own,
        "own_shape": drawing.shapes.get(own_code, ""),
        "legend": legend(bounds, top),
        "unmapped": unmapped,
    }
