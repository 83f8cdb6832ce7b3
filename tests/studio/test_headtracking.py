"""The head-tracked preview in a real browser: an ambisonic render decoded to binaural in the page (Omnitone),
turned by the same controls a user has; the ears' levels, rendered offline from the page's own audio graph,
say where the source is heard."""

import numpy as np
import pytest

from tests.helpers import need

pytestmark = [pytest.mark.browser, pytest.mark.slow]
playwright = need("playwright.sync_api")
from tests.studio.test_browser import chromium_page  # noqa: E402  (skips the module without Chromium)

#: The ears' level difference (dB) that says "clearly on one side", and "about in front or behind".
SIDE_DB, AHEAD_DB = 4.0, 2.0


@pytest.fixture(scope="module")
def page(server):
    with chromium_page(server) as page:
        yield page


def ears(page, **options) -> dict:
    """The preview rendered offline at the head's present orientation: left_rms, right_rms, ild_db (> 0: left)."""
    return page.evaluate("(options) => see2soundPreview.renderOffline(options)", options)


def heading(page) -> float:
    """The yaw the map's wedge shows (deg, left positive)."""
    return float(page.get_attribute('[data-testid="heading"]', "data-yaw"))


def ambix(order: int, azimuth_deg: float, signal: np.ndarray) -> np.ndarray:
    """``signal`` [shape=(n,)] as a plane wave from ``azimuth_deg`` on the horizon, AmbiX (ACN, SN3D) of
    ``order`` 1-3 [shape=((order + 1) ** 2, n)]: the real harmonics of Nachbar et al., "AmbiX", 2011, at zero
    elevation (SPEC §3 for first order)."""
    a = np.radians(azimuth_deg)
    gains = [1.0, np.sin(a), 0.0, np.cos(a),                                          # order 1
             np.sqrt(3) / 2 * np.sin(2 * a), 0.0, -0.5, 0.0, np.sqrt(3) / 2 * np.cos(2 * a),   # order 2
             np.sqrt(5 / 8) * np.sin(3 * a), 0.0, -np.sqrt(3 / 8) * np.sin(a), 0.0,   # order 3
             -np.sqrt(3 / 8) * np.cos(a), 0.0, np.sqrt(5 / 8) * np.cos(3 * a)]
    return np.outer(gains[:(order + 1) ** 2], signal)


def test_turning_the_head_moves_the_rendered_source_between_the_ears(page, server, photos):
    """The bus of bus.jpg alone, moved to the left (+90 deg), rendered as FOA and previewed: heard on the left;
    the head turned 90 deg left by a drag on the picture faces it; turned 90 deg further by the arrow keys, the
    bus is on the right."""
    page.set_input_files("#file", str(photos["bus.jpg"]))
    page.fill("#duration", "3")
    page.click("#analyse")
    page.wait_for_selector('body[data-state="ready"]', timeout=120_000)
    assert page.is_hidden("#headtracked")  # a binaural render: no head-tracked preview, no heading on the map
    assert page.locator('[data-testid="heading"]').count() == 0

    # Only the bus sounds (and the street's ambience), 3 m straight to the left, so that its direct sound is
    # most of what is heard: its dot dragged on the map to (-0.2, 0) of the map's -1.1..1.1 (the edge at 15 m).
    for source in page.evaluate("state.scene.sources"):
        if source["id"] != "bus-1":
            page.check(f'input[aria-label="mute {source["id"]}"]')
    page.locator("#map").scroll_into_view_if_needed()
    dot = page.locator('[data-testid="map-bus-1"]').bounding_box()
    svg = page.locator("#map").bounding_box()
    page.mouse.move(dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2)
    page.mouse.down()
    page.mouse.move(svg["x"] + svg["width"] * (1.1 - 0.2) / 2.2, svg["y"] + svg["height"] / 2, steps=8)
    page.mouse.up()
    bus = page.evaluate("state.scene.sources.find((s) => s.id === 'bus-1').position")
    assert bus["azimuth_deg"] == pytest.approx(90, abs=2) and bus["distance_m"] < 4, bus
    page.click("#render")
    page.wait_for_selector('body[data-state="ready"]', timeout=120_000)

    # The FOA render: the preview appears, plays, and the map shows the head facing front.
    page.select_option("#format", "foa")
    page.wait_for_selector("#headtracked:not([hidden])")
    assert page.inner_text("#ht-format") == "foa"
    page.click("#ht-play")
    page.wait_for_selector('#headtracked[data-state="playing"]', timeout=60_000)
    assert page.is_hidden("#error")
    assert heading(page) == 0
    front = ears(page, seconds=3)
    assert front["order"] == 1
    assert front["ild_db"] > SIDE_DB, front  # the bus on the left: the left ear louder

    # Drag the picture half its width to the left: the head turns 90 deg left and faces the bus.
    page.locator("#picture").scroll_into_view_if_needed()
    picture = page.locator("#picture").bounding_box()
    y = picture["y"] + picture["height"] / 2
    page.mouse.move(picture["x"] + picture["width"] * 0.75, y)
    page.mouse.down()
    page.mouse.move(picture["x"] + picture["width"] * 0.25, y, steps=10)
    page.mouse.up()
    assert heading(page) == pytest.approx(90, abs=0.5)
    assert page.inner_text("#ht-heading").startswith("head turned 90° left")
    facing = ears(page, seconds=3)
    assert abs(facing["ild_db"]) < AHEAD_DB, facing

    # Six presses of the left arrow (15 deg each): the head turns round, the bus is on the right.
    page.locator("#ht-heading").click()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    assert abs(heading(page)) == pytest.approx(180, abs=0.5)
    back = ears(page, seconds=3)
    assert back["ild_db"] < -SIDE_DB, back
    print(f"bus at +90 deg, FOA, ears' level difference: head front {front['ild_db']:+.1f} dB, "
          f"turned to it {facing['ild_db']:+.1f} dB, turned round {back['ild_db']:+.1f} dB")

    # A phone's orientation (DeviceOrientation events, as a phone sends them): turned 90 deg to the left (alpha
    # grows counter-clockwise) from where following began, tilted 30 deg up (beta 90: held upright).
    # Following starts once the browser answers the permission request (asynchronous where the browser has
    # one), so the test waits for the button to say so before the phone reports.
    page.click("#ht-motion")
    page.wait_for_selector('#ht-motion[aria-pressed="true"]', timeout=10_000)
    phone = "([alpha, beta]) => window.dispatchEvent(new DeviceOrientationEvent('deviceorientation', {alpha, beta, gamma: 0}))"
    page.evaluate(phone, [10, 90])
    assert abs(heading(page)) == pytest.approx(180, abs=0.5)  # following begins where the head was
    page.evaluate(phone, [100, 120])
    assert heading(page) == pytest.approx(-90, abs=0.5)
    assert page.evaluate("see2soundPreview.head().pitch") == pytest.approx(30, abs=0.5)
    page.click("#ht-motion")
    assert page.get_attribute("#ht-motion", "aria-pressed") == "false"
    page.evaluate(phone, [190, 90])
    assert heading(page) == pytest.approx(-90, abs=0.5)  # no longer followed
    assert page.is_hidden("#error")

    # Face front again; binaural: the preview and the heading go, the playing stops.
    page.click("#ht-reset")
    assert heading(page) == 0
    page.select_option("#format", "binaural")
    assert page.is_hidden("#headtracked")
    assert page.locator('[data-testid="heading"]').count() == 0


@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_order_turns_the_right_way(page, order):
    """A noise straight ahead, encoded here in AmbiX of each order Omnitone decodes: the head turned left
    hears it on the right, turned right on the left; a noise on the left is heard on the left."""
    noise = np.random.default_rng(order).standard_normal(24000) * 0.1
    levels = {}
    for azimuth, yaw in [(0, 0), (0, 90), (0, -90), (90, 0)]:
        page.evaluate("(yaw) => see2soundPreview.setHead(yaw, 0)", yaw)
        channels = np.round(ambix(order, azimuth, noise), 6).tolist()
        result = ears(page, seconds=0.5, channels=channels, sampleRate=48000)
        assert result["order"] == order
        levels[azimuth, yaw] = result["ild_db"]
    page.evaluate("see2soundPreview.setHead(0, 0)")
    print(f"order {order}: ears' level difference (dB) by (source azimuth, head yaw): "
          + ", ".join(f"{k}: {v:+.1f}" for k, v in levels.items()))
    assert abs(levels[0, 0]) < AHEAD_DB
    assert levels[0, 90] < -SIDE_DB and levels[0, -90] > SIDE_DB
    assert levels[90, 0] > SIDE_DB


def test_the_field_turns_against_the_head(page):
    """The rotation the page gives Omnitone, over AmbiX's (Y, Z, X): the head turned 90 deg left brings a source
    on the left to the front and one in front to the right; tilted 90 deg up, one overhead to the front."""
    def rotation(yaw, pitch):
        return np.array(page.evaluate("([y, p]) => see2soundPreview.fieldRotation(y, p)", [yaw, pitch]))

    left, up, front, right = [1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]
    assert rotation(90, 0) @ left == pytest.approx(front, abs=1e-9)
    assert rotation(90, 0) @ front == pytest.approx(right, abs=1e-9)
    assert rotation(0, 90) @ up == pytest.approx(front, abs=1e-9)
    turned = rotation(37, -20)
    assert turned @ turned.T == pytest.approx(np.eye(3), abs=1e-9) and np.linalg.det(turned) == pytest.approx(1)


def test_the_vendored_omnitone_is_the_published_file_the_licences_page_names():
    """The page patches nothing in Omnitone but works around its one `new Function` call: pinned to the file
    whose sha256 docs/licences.md records, so an upgrade has to look at that again."""
    import hashlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    vendored = root / "src/see2sound/studio/static/vendor/omnitone.min.js"
    recorded = re.search(r"file\s+sha256 `([0-9a-f]{64})`", (root / "docs/licences.md").read_text()).group(1)
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == recorded
