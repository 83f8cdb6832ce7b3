"""The variant scheme is deterministic, and turning the field turns every source."""

from see2sound.batch.variants import VARIANT_ROOMS, rotate_scene, variant_options
from see2sound.scene import Scene
from tests.helpers import scene_dict


def test_variant_zero_is_the_item_as_asked_and_the_others_are_fixed_by_seed_k_and_name(tmp_path):
    sofa = [tmp_path / "a.sofa", tmp_path / "b.sofa"]
    assert variant_options(0, 5, []) == {}
    assert variant_options(0, 5, sofa) == {"hrtf": str(sofa[0])}
    one = variant_options(1, 5, sofa, "x")
    assert one["seed"] == 6 and one["room"] == VARIANT_ROOMS[0] and one["hrtf"] == str(sofa[1])
    assert -180 <= one["yaw_deg"] < 180
    assert variant_options(1, 5, sofa, "x") == one           # same inputs, same variant
    assert variant_options(1, 5, sofa, "y")["yaw_deg"] != one["yaw_deg"]  # items differ


def test_rotation_turns_positions_and_trajectories_and_wraps():
    doc = scene_dict([{"id": "a", "position": {"azimuth_deg": 170, "elevation_deg": 10, "distance_m": 2}}])
    doc["sources"][0]["trajectory"] = [{"t": 0, "azimuth_deg": -170, "elevation_deg": 0, "distance_m": 3}]
    scene = Scene.from_dict(doc)
    rotate_scene(scene, 20.0)
    source = scene.sources[0]
    assert source.position.azimuth_deg == -170 and source.position.elevation_deg == 10
    assert source.trajectory[0].azimuth_deg == -150 and source.trajectory[0].distance_m == 3
