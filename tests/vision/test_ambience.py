"""Ambience from image statistics on real photos of each kind."""

import pytest

from see2sound.vision.ambience import AMBIENCE_KINDS, classify_ambience
from see2sound.vision.detect import get_detector
from see2sound.vision.image import load_picture


@pytest.mark.slow
def test_ambience_of_labelled_photos(photos, truth):
    detector = get_detector()
    results = {}
    for name, t in truth.items():
        if t["ambience"] is None:
            continue
        picture = load_picture(photos[name])
        kind, confidence, _ = classify_ambience(picture.rgb, [d.label for d in detector.detect(picture.rgb)])
        assert kind in AMBIENCE_KINDS and 0.25 <= confidence <= 1.0
        results[name] = (kind, t["ambience"])
    correct = sum(got == want for got, want in results.values())
    assert correct / len(results) >= 0.7, results
    for kind in ("outdoor-nature", "urban-street", "indoor-room"):  # each kind is recognised somewhere
        assert any(got == want == kind for got, want in results.values()), kind
