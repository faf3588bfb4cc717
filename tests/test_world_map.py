"""The world maps: the TopoJSON decoder and projection checked by hand, and the country and home
pages' maps shading and linking the right countries with counts made here independently."""

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from agreements import worldmap
from agreements.models import Country

from .factories import make_meeting

SCRIPT = '<script>alert("owned")</script>'

# Two squares sharing an edge, quantized: arc 0 is the shared edge, arcs 1 and 2 the rest.
TINY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 2], "translate": [10, 20]},
    "arcs": [
        [[2, 0], [0, 3]],  # (11, 20) → (11, 26)
        [[2, 3], [-2, 0], [0, -3], [2, 0]],  # (11, 26) → (10, 26) → (10, 20) → (11, 20)
        [[2, 0], [2, 0], [0, 3], [-2, 0]],  # (11, 20) → (12, 20) → (12, 26) → (11, 26)
    ],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": "392"},
                {"type": "MultiPolygon", "arcs": [[[2, ~0]]], "id": "380"},
                {"type": "Point", "coordinates": [0, 0], "id": "250"},
            ],
        }
    },
}


def test_arcs_are_delta_decoded_and_transformed():
    assert worldmap.decode_arcs(TINY) == [
        [(11, 20), (11, 26)],
        [(11, 26), (10, 26), (10, 20), (11, 20)],
        [(11, 20), (12, 20), (12, 26), (11, 26)],
    ]


def test_arcs_without_a_transform_are_read_as_given():
    assert worldmap.decode_arcs({"arcs": [[[1.5, 2], [3, -4.25]]]}) == [[(1.5, 2.0), (3.0, -4.25)]]


def test_rings_join_arcs_dropping_the_shared_position_and_reverse_negative_indexes():
    arcs = worldmap.decode_arcs(TINY)
    assert worldmap.ring(arcs, [0, 1]) == [(11, 20), (11, 26), (10, 26), (10, 20), (11, 20)]
    assert worldmap.ring(arcs, [2, ~0]) == [(11, 20), (12, 20), (12, 26), (11, 26), (11, 20)]


def test_polygons_of_each_geometry_type():
    arcs = worldmap.decode_arcs(TINY)
    polygon, multi, point = TINY["objects"]["countries"]["geometries"]
    assert worldmap.polygons(polygon, arcs) == [[worldmap.ring(arcs, [0, 1])]]
    assert worldmap.polygons(multi, arcs) == [[worldmap.ring(arcs, [2, ~0])]]
    assert worldmap.polygons(point, arcs) == []


def test_natural_earth_projection_by_hand():
    assert worldmap.natural_earth(0, 0) == (0, 0)
    x, y = worldmap.natural_earth(90, 0)
    assert x == pytest.approx(0.8707 * math.pi / 2) and y == 0
    # φ = π/4: φ² = 0.616850, φ⁴ = 0.380504; y = φ (1.007226 + φ² (0.015085 + φ⁴ (−0.044475 +
    # 0.028874 φ² − 0.005916 φ⁴))) = 0.785398 × 1.009745; x at λ = π: π × (0.8707 − 0.131979 φ²
    # + φ⁴ (−0.013791 + φ⁴ (0.003971 φ² − 0.001529 φ⁴))) = π × 0.7843116.
    x, y = worldmap.natural_earth(180, 45)
    assert y == pytest.approx(0.793052, abs=1e-5)
    assert x == pytest.approx(2.463988, abs=1e-5)
    assert worldmap.natural_earth(-180, -45) == pytest.approx((-x, -y))


def test_path_data_is_relative_in_tenths():
    assert worldmap.tenths(12) == "1.2"
    assert worldmap.tenths(-5) == "-.5"
    assert worldmap.tenths(30) == "3"
    assert worldmap.tenths(0) == "0"
    assert worldmap.path_data([[(100, 200), (150, 200), (150, 230)]]) == "M10 20l5 0 0 3z"
    assert worldmap.path_data([[(12, 5), (7, 5), (7, 0)], [(1, 1), (2, 1), (2, 2)]]) == (
        "M1.2 .5l-.5 0 0-.5zM.1 .1l.1 0 0 .1z"
    )


def test_draw_projects_names_and_drops_what_has_no_code():
    # A triangle for Japan (392) from (0°, 0°) to (90°, 0°) and (0°, 45°), one with no id, and
    # France as a point, which has no shape.
    topology = {
        "arcs": [[[0, 0], [90, 0], [0, 45], [0, 0]], [[-90, 0], [-80, 0], [-80, 10], [-90, 0]]],
        "objects": {
            "countries": {
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "id": "392"},
                    {"type": "Polygon", "arcs": [[1]]},
                    {"type": "Point", "coordinates": [2, 48], "id": "250"},
                ]
            }
        },
    }
    world = worldmap.draw(topology, width=960, tolerance=0, min_area=0)
    # The world's width 2 × 0.8707π maps to 960 units: 175.4751 a unit of radius; the top is
    # 45° (y = 0.793052, 139.16 units down to the equator), so the map is 140 units high.
    # (0°, 0°) is the middle, 480 across and 139.2 down; 90° is three quarters across, 720.
    assert world.height == 140
    assert world.shapes == {"JP": "M480 139.2l240 0-240-139.2z"}
    assert world.unclaimed.startswith("M")


def test_a_ring_across_the_date_line_is_cut_in_two():
    # 8 tenths from the right edge to 8 tenths from the left one and back: two rings.
    ring = [(9590, 100), (9598, 110), (2, 110), (5, 120), (3, 130), (9596, 130)]
    assert worldmap.cut_at_edges(ring, 4800) == [
        [(2, 110), (5, 120), (3, 130)],
        [(9596, 130), (9590, 100), (9598, 110)],
    ]


def test_the_world_is_drawn_once_per_process_from_the_vendored_file():
    world = worldmap.world()
    assert worldmap.world() is world
    assert world.width == 960 and 400 < world.height < 500
    assert {"JP", "IT", "FR", "US", "RU", "BR", "AU", "ZA", "IN", "CN"} <= set(world.shapes)
    assert "AQ" not in world.shapes  # Antarctica is left out
    assert sum(map(len, world.shapes.values())) + len(world.unclaimed) < 50_000
    assert re.fullmatch(r"[Mlz0-9. -]+", "".join(world.shapes.values()))
    notice = (Path(worldmap.DATA).parent / "README.md").read_text()
    assert "world-atlas" in notice and "2.0.2" in notice and "public domain" in notice


@pytest.mark.parametrize(
    ("top", "bounds"),
    [
        (1, [1]),
        (3, [1, 2, 3]),
        (5, [1, 2, 3, 4, 5]),
        (7, [1, 2, 5]),
        (57, [1, 2, 5, 10, 20]),
        (1000, [1, 5, 20, 50, 200]),
    ],
)
def test_shading_classes_are_round_numbers_up_to_the_busiest(top, bounds):
    assert worldmap.class_bounds(top) == bounds
    assert worldmap.shade(top, bounds) == worldmap.SHADES
    assert worldmap.shade(1, bounds) == worldmap.SHADES - len(bounds) + 1


def test_legend_labels_each_class_with_its_range():
    assert worldmap.legend([1, 2, 5, 10, 20], 57) == [
        (1, "1"),
        (2, "2–4"),
        (3, "5–9"),
        (4, "10–19"),
        (5, "20–57"),
    ]
    assert worldmap.legend([1, 2, 5], 5) == [(3, "1"), (4, "2–4"), (5, "5")]


def relative_luminance(colour):
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_every_map_colour_has_three_to_one_contrast_with_the_white_sea_and_borders():
    css = (Path(__file__).resolve().parents[1] / "static" / "css" / "site.css").read_text()
    fills = dict(re.findall(r"\.(map-(?:land|own|s\d)) \{ fill: (#[0-9a-f]{6}); \}", css))
    assert set(fills) == {"map-land", "map-own", *(f"map-s{n}" for n in range(1, worldmap.SHADES + 1))}
    assert ".world-map-svg path { fill-rule: evenodd; stroke: #fff;" in css
    for name, colour in fills.items():
        assert 1.05 / (relative_luminance(colour) + 0.05) >= 3, name
    shades = [relative_luminance(fills[f"map-s{n}"]) for n in range(1, worldmap.SHADES + 1)]
    assert shades == sorted(shades, reverse=True)  # darker for more meetings


# The pages ---------------------------------------------------------------------------------


def map_svg(html):
    """The page's map as an XML element."""
    match = re.search(r'<svg viewBox="[^"]*" aria-labelledby="world-map-title.*?</svg>', html, re.S)
    assert match, "no map on the page"
    return ET.fromstring(match.group(0))


def linked(svg):
    """{href: (title, class)} of the map's linked countries."""
    return {a.get("href"): (a.find("title").text, a.find("path").get("class")) for a in svg.iter("a")}


@pytest.fixture
def japans_meetings(db):
    """Japan meets France three times, the United States twice, Germany once, and the EU once;
    France and Germany meet once without Japan."""
    meetings = [("FR", "JP")] * 3 + [("JP", "US")] * 2 + [("DE", "JP"), ("EU", "JP"), ("DE", "FR")]
    for countries in meetings:
        make_meeting(countries=countries)
    return meetings


def test_country_page_map_shades_its_partners_linked_to_the_pairs(client, japans_meetings):
    partners = Counter(code for pair in japans_meetings if "JP" in pair for code in pair if code != "JP")
    assert partners == {"FR": 3, "US": 2, "DE": 1, "EU": 1}
    html = client.get("/countries/jp/").content.decode()
    svg = map_svg(html)
    assert svg.find("title").text == "Countries Japan met, by number of meetings"
    # Busiest 3: one class a number, the darkest for the most.
    assert linked(svg) == {
        "/relations/fr-jp/": ("France: 3 meetings", "map-s5"),
        "/relations/jp-us/": ("United States: 2 meetings", "map-s4"),
        "/relations/de-jp/": ("Germany: 1 meeting", "map-s3"),
    }
    own = [path for path in svg.iter("path") if path.get("class") == "map-own"]
    assert len(own) == 1 and own[0].find("title").text == "Japan"
    assert own[0].get("d") == worldmap.world().shapes["JP"]
    land = next(path for path in svg.iter("path") if path.get("class") == "map-land")
    for code in ("CN", "BR", "IT"):
        assert worldmap.world().shapes[code] in land.get("d")
    for code in ("FR", "US", "DE", "JP"):
        assert worldmap.world().shapes[code] not in land.get("d")
    # The EU has no shape: it is named under the map, and counted in the partners' table.
    assert 'Not on the map: <a href="/relations/eu-jp/">European Union</a> (1)' in html
    for name, count in [("France", 3), ("United States", 2), ("Germany", 1), ("European Union", 1)]:
        assert re.search(rf">{name}</a></th><td class=\"num\">{count}</td>", html)


def test_a_country_without_partners_has_no_map(client, db):
    assert "world-map" not in client.get("/countries/cn/").content.decode()


def test_home_map_shades_every_country_that_met_linked_to_its_page(client, japans_meetings):
    meetings = Counter(code for pair in japans_meetings for code in pair)
    assert meetings == {"JP": 7, "FR": 4, "US": 2, "DE": 2, "EU": 1}
    html = client.get("/").content.decode()
    svg = map_svg(html)
    assert svg.find("title").text == "Countries by number of meetings"
    bounds = worldmap.class_bounds(7)
    assert bounds == [1, 2, 5]
    assert linked(svg) == {
        "/countries/jp/": ("Japan: 7 meetings", "map-s5"),
        "/countries/fr/": ("France: 4 meetings", "map-s4"),
        "/countries/us/": ("United States: 2 meetings", "map-s4"),
        "/countries/de/": ("Germany: 2 meetings", "map-s4"),
    }
    assert not [path for path in svg.iter("path") if path.get("class") == "map-own"]
    assert 'Not on the map: <a href="/countries/eu/">European Union</a> (1)' in html
    table = html[html.index('<details class="map-figures">') :]
    rows = re.findall(r'<a href="/countries/(\w\w)/">[^<]*</a></th><td class="num">(\d+)</td>', table)
    assert rows == [("jp", "7"), ("fr", "4"), ("de", "2"), ("us", "2"), ("eu", "1")]


def test_home_without_meetings_has_no_map(client, db):
    assert "world-map" not in client.get("/").content.decode()


def test_country_names_on_the_map_are_escaped(client, japans_meetings):
    Country.objects.filter(code="FR").update(name=SCRIPT)
    for url in ("/", "/countries/jp/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        svg = map_svg(html)
        assert any(title.text.startswith(SCRIPT) for title in svg.iter("title"))


def test_the_map_adds_a_bounded_number_of_bytes(client, japans_meetings):
    for url in ("/", "/countries/jp/"):
        html = client.get(url).content.decode()
        svg = re.search(r'<figure class="chart world-map">.*?</figure>', html, re.S).group(0)
        assert len(svg.encode()) < 50_000


def test_maps_read_the_summaries_in_the_pages_pinned_queries_however_many_partners(client, seed):
    from .test_query_budget import PAGES, queries_and_status

    partners = [code for code in worldmap.world().shapes if code not in ("JP", "IT")]
    for url in ("/", "/countries/jp/"):
        assert queries_and_status(client, url) == (PAGES[url], 200)
    for code in partners[:40]:
        make_meeting(countries=(code, "JP"))
    for url in ("/", "/countries/jp/"):
        assert queries_and_status(client, url) == (PAGES[url], 200)
    html = client.get("/countries/jp/").content.decode()
    assert len(linked(map_svg(html))) == 41  # the forty and Italy
