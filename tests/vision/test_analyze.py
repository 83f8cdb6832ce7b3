"""From real photos to scenes: what is found, where, how far."""

import numpy as np
import pytest

import see2sound
from see2sound.vision import analyze_picture
from see2sound.vision.camera import camera_for
from see2sound.vision.detect import Detection
from see2sound.vision.sources import choose_sources


@pytest.fixture(scope="module")
def scenes(photos):
    names = ("bus.jpg", "zidane.jpg", "chelsea.png", "motorcycle_left.png", "messi5.jpg", "coffee.png")
    return {name: analyze_picture(photos[name]) for name in names}


@pytest.mark.parametrize("name, expected", [
    ("bus.jpg", {"bus", "person"}), ("zidane.jpg", {"person"}), ("chelsea.png", {"cat"}),
    ("motorcycle_left.png", {"motorcycle"}), ("messi5.jpg", {"person"}),
    pytest.param("messi5.jpg", {"sports ball"}, marks=pytest.mark.xfail(
        strict=True, reason="issue 14: the calibrated ensemble drops the small ball (the vote fusion kept it; "
                            "held out the ball is its one hit more, benchmarks/results-detection.md)")),
])
def test_labels_found_in_real_photos(scenes, name, expected):
    labels = {s.label for s in scenes[name].scene.sources}
    assert expected <= labels, labels


def test_silent_things_are_not_sources(scenes):
    # The cup in coffee.png is found, but a cup makes no sound.
    analysis = scenes["coffee.png"]
    assert "cup" in {d.label for d in analysis.detections}
    assert all(s.label != "cup" for s in analysis.scene.sources)


def test_positions_lie_inside_their_boxes_under_the_camera_model(scenes):
    for analysis in scenes.values():
        cam = analysis.camera
        f = (cam.width / 2) / np.tan(np.radians(cam.hfov_deg) / 2)
        for src in analysis.scene.sources:
            x0, y0, x1, y1 = src.box
            # SPEC §1 directly: azimuth = atan2(cx - u, f); elevation bounded by the box's rows.
            az_left, az_right = np.degrees(np.arctan2(cam.width / 2 - x0, f)), np.degrees(np.arctan2(cam.width / 2 - x1, f))
            assert az_right <= src.position.azimuth_deg <= az_left
            el_top = np.degrees(np.arctan2(cam.height / 2 - y0, f))
            el_bottom = np.degrees(np.arctan2(cam.height / 2 - y1, np.hypot(f, abs((x0 + x1) / 2 - cam.width / 2))))
            assert el_bottom - 0.5 <= src.position.elevation_deg <= el_top + 0.5


def test_left_to_right_order_in_the_picture_is_decreasing_azimuth(scenes):
    people = [s for s in scenes["bus.jpg"].scene.sources if s.label == "person"]
    assert len(people) >= 3
    by_x = sorted(people, key=lambda s: (s.box[0] + s.box[2]) / 2)
    azimuths = [s.position.azimuth_deg for s in by_x]
    assert azimuths == sorted(azimuths, reverse=True)
    assert azimuths[0] > 0 > azimuths[-1]  # the leftmost is on the listener's left


def test_distances_are_plausible(scenes):
    bus = scenes["bus.jpg"].scene
    assert scenes["bus.jpg"].camera.fov_source == "exif"
    for src in bus.sources:
        if src.label == "person":
            assert 2.0 < src.position.distance_m < 15.0
    people = [s for s in bus.sources if s.label == "person"]
    vehicle = next(s for s in bus.sources if s.label == "bus")
    assert vehicle.position.distance_m > min(p.position.distance_m for p in people)  # the bus is behind them
    cat = scenes["chelsea.png"].scene.sources[0]
    assert 0.3 <= cat.position.distance_m < 1.5  # a face filling the frame


def test_scene_is_valid_and_round_trips(tmp_path, scenes):
    scene = scenes["bus.jpg"].scene
    scene.save(tmp_path / "bus.json")
    again = see2sound.Scene.load(tmp_path / "bus.json")
    assert again.to_dict() == scene.to_dict()
    assert again.input["kind"] == "image" and again.input["width"] == 810
    assert again.camera["projection"] == "perspective" and again.ambience.kind == "urban-street"
    ids = [s.id for s in again.sources]
    assert len(set(ids)) == len(ids)
    assert see2sound.analyze(scenes["bus.jpg"].picture.path).to_dict() == scene.to_dict()  # deterministic


def test_crowds_merge_into_one_wide_source():
    cam = camera_for(1600, 900, hfov_deg=70.0)
    crowd = [Detection((300 + 40 * i, 300, 330 + 40 * i, 380), "person", 0.6) for i in range(10)]
    near = Detection((1000, 100, 1300, 900), "person", 0.9)
    dog = Detection((100, 700, 300, 850), "dog", 0.8)
    chair = Detection((1400, 600, 1500, 800), "chair", 0.9)
    sources = choose_sources(crowd + [near, dog, chair], cam)
    labels = sorted(s.label for s in sources)
    assert labels == ["crowd", "dog", "person"]
    group = next(s for s in sources if s.label == "crowd")
    assert group.people == 10 and 15 <= group.spread_deg <= 40
    assert choose_sources(crowd + [near, dog], cam, max_sources=1)[0].id in ("person-1", "crowd-1", "dog-1")
    assert len(choose_sources(crowd + [near, dog], cam, max_sources=2)) == 2


@pytest.mark.slow
def test_equirect_panorama_wraps_around(photos, tmp_path):
    from PIL import Image
    # A 360 panorama made from a real photo: the cat straddles the seam.
    cat = Image.open(photos["chelsea.png"]).convert("RGB").resize((400, 266))
    pano = Image.new("RGB", (1600, 800), (120, 130, 110))
    pano.paste(cat, (1400, 267))
    pano.paste(cat.crop((200, 0, 400, 266)), (0, 267))
    pano.save(tmp_path / "pano.jpg")
    analysis = analyze_picture(tmp_path / "pano.jpg")
    assert analysis.camera.projection == "equirect"
    cats = [s for s in analysis.scene.sources if s.label == "cat"]
    assert cats, [s.label for s in analysis.scene.sources]
    # Behind the listener, on the cat: it spans 400 of 1600 columns, 90 deg, centred on the seam (180 deg).
    assert abs(abs(cats[0].position.azimuth_deg) - 180) < 45


def test_a_depth_estimator_replaces_the_size_priors_where_it_answers():
    class Wall:
        def distance_m(self, box, camera, *, label, mask=None):
            return 7.5 if box[0] < 800 else None

    cam = camera_for(1600, 900, hfov_deg=70.0)
    dets = [Detection((100, 300, 300, 700), "dog", 0.8), Detection((1000, 300, 1300, 800), "car", 0.8)]
    by_label = {s.label: s for s in choose_sources(dets, cam, depth=Wall())}
    assert by_label["dog"].position.distance_m == 7.5
    assert by_label["dog"].position.extra["distance_method"] == "Wall"
    assert by_label["car"].position.extra["distance_method"] != "Wall"


def _direction(cam, u, v):
    """Azimuth and elevation of pixel (u, v) through a pinhole camera, written out here, not with Camera."""
    x, y = (u - cam.width / 2) / cam.focal_px, (v - cam.height / 2) / cam.focal_px
    return np.degrees(np.arctan2(-x, 1.0)), np.degrees(np.arctan2(-y, np.hypot(1.0, x)))


def test_a_mask_places_its_source_at_the_mask_not_the_box_centre():
    cam = camera_for(1600, 900, hfov_deg=70.0)
    # An L-shaped dog: a thick left leg and a thin bottom bar; its centroid is far left of the box centre.
    mask = np.zeros((40, 60), dtype=bool)
    mask[:, :15] = True
    mask[32:, :] = True
    box = (200.0, 300.0, 800.0, 700.0)  # each mask cell is 10 x 10 pixels
    rows, cols = np.nonzero(mask)
    u, v = 200 + (cols.mean() + 0.5) * 10, 300 + (rows.mean() + 0.5) * 10
    (dog,) = choose_sources([Detection(box, "dog", 0.9, mask=mask)], cam)
    az, el = _direction(cam, u, v)
    assert dog.position.azimuth_deg == pytest.approx(az, abs=0.02)
    assert dog.position.elevation_deg == pytest.approx(el, abs=0.02)
    box_az, _ = _direction(cam, 500, 500)
    assert dog.position.azimuth_deg - box_az > 5  # clearly left of the box centre


def test_a_person_mask_sounds_from_its_top():
    cam = camera_for(1600, 900, hfov_deg=70.0)
    # A person leaning right: head at the top right of the box, feet at the bottom left.
    mask = np.zeros((100, 50), dtype=bool)
    for r in range(100):
        c = int(5 + 35 * (1 - r / 99))
        mask[r, c:c + 10] = True
    (person,) = choose_sources([Detection((1000, 100, 1100, 800), "person", 0.9, mask=mask)], cam)
    rows, cols = np.nonzero(mask)
    top = rows <= np.quantile(rows + 0.5, 0.24)
    u = 1000 + (cols[top] + 0.5).mean() * 2
    v = 100 + (rows[top] + 0.5).mean() * 7
    az, el = _direction(cam, u, v)
    assert person.position.azimuth_deg == pytest.approx(az, abs=0.3)
    assert person.position.elevation_deg == pytest.approx(el, abs=0.3)


def test_masks_follow_their_boxes_when_flipped_and_cropped():
    mask = np.zeros((4, 8), dtype=bool)
    mask[:, :2] = True
    det = Detection((0.0, 0.0, 80.0, 40.0), "dog", 0.9, mask=mask)
    flipped = det.flipped(100.0)
    assert flipped.box == (20.0, 0.0, 100.0, 40.0) and flipped.mask[:, -2:].all() and not flipped.mask[:, :-2].any()
    cropped = det.cropped(40.0, 100.0)  # the right half: none of the mask
    assert cropped.box == (40.0, 0.0, 80.0, 40.0) and cropped.mask.shape == (4, 4) and not cropped.mask.any()
