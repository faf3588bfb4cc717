"""The world maps: the TopoJSON decoder, projection and path data checked by hand."""

import math
import re
from pathlib import Path

import pytest

from agreements import worldmap

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
    # A triangle for Japan (392) from (0°, 0°) to (90°, 0°) and (0°, 45°), and one with no id.
    topology = {
        "arcs": [[[0, 0], [90, 0], [0, 45], [0, 0]], [[-90, 0], [-80, 0], [-80, 10], [-90, 0]]],
        "objects": {
            "countries": {
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "id": "392"},
                    {"type": "Polygon", "arcs": [[1]]},
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
