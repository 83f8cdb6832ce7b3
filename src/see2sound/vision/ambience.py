"""What the place sounds like where no detector looks: sky, foliage, water, streets, rooms.

The picture is reduced to a few interpretable measurements, each a fraction
of the frame:

- ``sky``: smooth, bright, blue or pale pixels in the upper half;
- ``foliage``: textured green or yellow-green pixels;
- ``water``: blue or cyan pixels in the lower half (the sky cannot be there);
- ``built``: how much of the picture's strong edges run vertical (walls,
  window frames, posts: man-made structure; a landscape's horizon is
  horizontal and foliage has no preferred direction);
- ``grey``: unsaturated pixels (asphalt, concrete, stone);
- ``dark``: mean brightness (night).

A greyscale picture carries no colour evidence: sky, foliage, water, grey
and warmth are then left out and structure and detections decide.

plus what was detected (vehicles and people outdoors suggest a street;
furniture and appliances a room; animals the country). Each kind gets a
score, a linear sum of these with signs a reader can check below.

Then the whole picture goes through the ImageNet classifier
(:class:`~see2sound.vision.classify.ImageClassifier`, loaded once per
process): each kind's *evidence* is the summed probability of the classes in
:data:`IMAGENET_EVIDENCE` (scenes such as ``seashore`` or ``library``, and
things that belong to one kind of place: boats and water birds, farm and wild
animals, road vehicles and shop fronts, furniture and dishes), and
``CLASSIFIER_WEIGHT`` x evidence is added to the kind's score. The weight was
fitted on the "fit" half of tests/data/photos.json only
(benchmarks/eval_ambience.py). A softmax over the scores gives the confidence.

Contents
--------
AMBIENCE_KINDS, IMAGENET_EVIDENCE, CLASSIFIER_WEIGHT, SOFTMAX_TEMPERATURE
describe              the picture's measurements
measured_scores       measurements and detected labels -> a score per kind
imagenet_evidence     classifier probabilities -> evidence per kind
classify_ambience     a picture and its detected labels -> (kind, confidence, measurements)
"""

from __future__ import annotations


import numpy as np

from .classify import ClassGroups, shared_classifier

AMBIENCE_KINDS = ("outdoor-nature", "urban-street", "indoor-room", "water-shore")
_STREET = {"car", "bus", "truck", "motorcycle", "bicycle", "vehicle", "traffic light", "stop sign",
           "fire hydrant", "parking meter"}
_ROOM = {"chair", "couch", "bed", "table", "tv", "laptop", "mouse", "keyboard", "microwave", "oven",
         "toaster", "sink", "refrigerator", "toilet", "book", "clock", "cup", "potted plant", "vase",
         "remote", "cell phone", "bottle", "wine glass"}
_COUNTRY = {"bird", "cow", "sheep", "horse", "elephant", "bear", "zebra", "giraffe"}
_WATER = {"boat", "surfboard"}
#: Scores are divided by this before the softmax that gives the confidence;
#: fitted with CLASSIFIER_WEIGHT (the fit photos' maximum likelihood).
SOFTMAX_TEMPERATURE = 2.15

#: ImageNet classes (exact names of data/models/imagenet_labels.txt) that say
#: which kind of place a picture shows. Grouped by what they are, not picked
#: photo by photo; ambiguous names (``crane``: bird or machine) and things
#: found anywhere (dogs, cats, people's clothes) are left out.
IMAGENET_EVIDENCE: dict[str, tuple[str, ...]] = {
    "water-shore": (
        # shores and water
        "seashore", "lakeside", "sandbar", "promontory", "breakwater", "coral reef", "dam", "pier",
        "boathouse", "dock",
        # boats
        "canoe", "speedboat", "yawl", "catamaran", "trimaran", "schooner", "gondola", "lifeboat",
        "fireboat", "liner", "container ship", "paddle", "paddlewheel", "wreck", "amphibian",
        # water and shore birds, sea mammals
        "drake", "red-breasted merganser", "goose", "black swan", "white stork", "black stork",
        "spoonbill", "flamingo", "little blue heron", "American egret", "bittern", "limpkin",
        "European gallinule", "American coot", "ruddy turnstone", "red-backed sandpiper", "redshank",
        "dowitcher", "oystercatcher", "pelican", "king penguin", "albatross", "sea lion", "otter",
    ),
    "outdoor-nature": (
        # landscapes, fields, farms
        "alp", "cliff", "valley", "volcano", "geyser", "hay", "rapeseed", "daisy", "corn", "mountain tent",
        "worm fence", "barn", "oxcart", "horse cart", "plow", "harvester", "thresher", "tractor",
        # fungi of the forest floor
        "agaric", "bolete", "coral fungus", "earthstar", "gyromitra", "stinkhorn", "hen-of-the-woods",
        # farm animals
        "ox", "water buffalo", "bison", "ram", "bighorn", "ibex", "sorrel", "hog", "wild boar", "llama",
        "Arabian camel", "hen", "cock",
        # wild mammals
        "zebra", "hartebeest", "impala", "gazelle", "warthog", "African elephant", "Indian elephant",
        "tusker", "lion", "tiger", "cheetah", "leopard", "jaguar", "snow leopard", "cougar", "lynx",
        "brown bear", "American black bear", "ice bear", "sloth bear", "timber wolf", "white wolf",
        "red wolf", "coyote", "red fox", "kit fox", "Arctic fox", "grey fox", "fox squirrel", "marmot",
        "hare", "wood rabbit", "porcupine", "badger", "skunk", "meerkat", "ostrich", "koala", "wallaby",
        # land birds
        "brambling", "goldfinch", "house finch", "junco", "indigo bunting", "robin", "bulbul", "jay",
        "magpie", "chickadee", "kite", "bald eagle", "vulture", "great grey owl", "black grouse",
        "ptarmigan", "ruffed grouse", "prairie chicken", "quail", "partridge", "bee eater", "hornbill",
        "hummingbird", "toucan", "bustard",
        # insects
        "bee", "ant", "grasshopper", "cricket", "cicada", "mantis", "ladybug", "dragonfly", "damselfly",
        "admiral", "ringlet", "monarch", "cabbage butterfly", "sulphur butterfly", "lycaenid",
    ),
    "urban-street": (
        # road vehicles
        "cab", "minibus", "minivan", "police van", "ambulance", "fire engine", "garbage truck",
        "moving van", "trailer truck", "tow truck", "school bus", "trolleybus", "streetcar", "limousine",
        "convertible", "sports car", "beach wagon", "jeep", "Model T", "moped", "motor scooter",
        "jinrikisha", "recreational vehicle",
        # street furniture
        "traffic light", "street sign", "parking meter", "pay-phone", "mailbox", "manhole cover",
        "gas pump", "turnstile",
        # buildings, monuments, shop fronts
        "church", "mosque", "monastery", "palace", "castle", "dome", "bell cote", "triumphal arch",
        "obelisk", "fountain", "tile roof", "prison", "cinema", "bakery", "barbershop", "bookshop",
        "butcher shop", "confectionery", "grocery store", "shoe shop", "tobacco shop", "toyshop",
        "suspension bridge", "steel arch bridge", "viaduct",
    ),
    "indoor-room": (
        # rooms and furniture
        "restaurant", "library", "home theater", "dining table", "bookcase", "wardrobe", "studio couch",
        "four-poster", "chiffonier", "china cabinet", "entertainment center", "desk", "rocking chair",
        "folding chair", "barber chair", "table lamp", "lampshade", "quilt", "pillow", "window shade",
        "shoji", "sliding door", "radiator", "space heater", "crib", "cradle", "bassinet", "pool table",
        "stage", "theater curtain", "altar", "wall clock", "analog clock", "digital clock",
        # kitchens and bathrooms
        "refrigerator", "microwave", "stove", "dishwasher", "washer", "espresso maker", "toaster",
        "plate rack", "bathtub", "shower curtain", "toilet seat", "washbasin", "medicine chest",
        # screens and machines
        "television", "screen", "monitor", "desktop computer", "laptop", "computer keyboard", "mouse",
        "printer", "photocopier", "grand piano", "upright", "organ",
        # the table: dishes and drinks
        "espresso", "cup", "coffee mug", "plate", "soup bowl", "consomme", "carbonara", "pizza",
        "cheeseburger", "hot pot", "trifle", "eggnog", "red wine",
    ),
}
#: Score added per unit of evidence (a probability sum in 0..1); fitted on the
#: "fit" half of the labelled photos by benchmarks/eval_ambience.py.
CLASSIFIER_WEIGHT = 6.15


def describe(rgb: np.ndarray) -> dict[str, float]:
    """The measurements above for an RGB uint8 picture [shape=(h, w, 3)]."""
    from scipy import ndimage  # here, not at the top: importing see2sound.vision stays quick

    step = max(1, max(rgb.shape[:2]) // 160)
    img = rgb[::step, ::step].astype(np.float64) / 255.0
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    mx, mn = img.max(axis=2), img.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-9), 0.0)
    hue = _hue_deg(r, g, b, mx, mn)
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    gx, gy = ndimage.sobel(lum, axis=1), ndimage.sobel(lum, axis=0)
    grad = np.hypot(gx, gy)
    texture = ndimage.uniform_filter(grad, size=3)
    h = img.shape[0]
    rows = np.arange(h)[:, None] / h
    upper, lower = rows < 0.5, rows >= 0.5
    smooth = texture < 0.12
    blue = (hue > 185) & (hue < 255) & (sat > 0.15) & (mx > 0.35)
    pale = (sat < 0.12) & (mx > 0.75)
    greenish = (hue > 55) & (hue < 165) & (sat > 0.2) & (mx > 0.12)
    strong = grad > np.percentile(grad, 90)
    angle = np.degrees(np.arctan2(gy, gx)) % 180.0
    vertical_edge = np.minimum(angle, 180 - angle) < 10  # gradient across = edge upright
    colourless = float(np.mean(sat)) < 0.03
    return {
        "sky": float(np.mean(upper & smooth & (blue | pale))) * 2.0,
        "foliage": float(np.mean(greenish & (texture > 0.08))),
        "water": float(np.mean(lower & blue & (texture < 0.35))) * 2.0,
        "built": float(np.mean(vertical_edge[strong])) if strong.any() else 0.0,
        "grey": float(np.mean(sat < 0.12)),
        "dark": float(1.0 - np.mean(lum)),
        "warm": float(np.mean(r) - np.mean(b)),
        "colourless": float(colourless),
    }


def _hue_deg(r, g, b, mx, mn) -> np.ndarray:
    d = np.maximum(mx - mn, 1e-9)
    hue = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    return hue * 60.0


def measured_scores(f: dict[str, float], labels: list[str]) -> dict[str, float]:
    """Each kind's score from the measurements ``f`` (:func:`describe`) and the detected labels."""
    if f["colourless"]:
        f = {**f, **dict.fromkeys(("sky", "foliage", "water", "grey", "warm"), 0.0)}
    n = max(1, len(labels))
    street = sum(label in _STREET for label in labels) / n
    room = sum(label in _ROOM for label in labels) / n
    country = sum(label in _COUNTRY for label in labels) / n
    water = sum(label in _WATER for label in labels) / n
    people = sum(label == "person" for label in labels) / n
    # "built" is ~0.11 for directionless texture and approaches 1 for facades.
    structure = float(np.clip((f["built"] - 0.12) / 0.25, 0.0, 1.0))
    sky = min(1.0, f["sky"] * 2.0)
    return {
        "outdoor-nature": 3.0 * f["foliage"] + 0.8 * sky * (1.0 - structure) + 1.5 * country
        - 1.0 * street - 1.0 * room,
        "urban-street": 1.2 * structure * (0.3 + sky) + 0.4 * f["grey"] + 2.0 * street + 0.3 * people
        - 2.0 * f["foliage"] - 1.0 * room,
        "indoor-room": 1.2 * structure * (1.0 - sky) + 1.5 * max(0.0, f["warm"]) + 2.0 * room
        - 1.5 * sky - 2.0 * f["foliage"] - 1.5 * street,
        "water-shore": 3.0 * f["water"] + 0.5 * sky * (1.0 - structure) + 2.0 * water - 1.0 * f["foliage"],
    }


_EVIDENCE = ClassGroups({kind: IMAGENET_EVIDENCE[kind] for kind in AMBIENCE_KINDS})


def imagenet_evidence(probabilities: np.ndarray) -> dict[str, float]:
    """Each kind's evidence in 0..1: the summed probability [shape=(1000,)] of its :data:`IMAGENET_EVIDENCE` classes."""
    return _EVIDENCE.masses(probabilities)


def classify_ambience(rgb: np.ndarray, labels: list[str], *, use_classifier: bool = True,
                      probabilities: np.ndarray | None = None) -> tuple[str, float, dict[str, float]]:
    """(kind, confidence in 0..1, the measurements) for RGB uint8 ``rgb`` [shape=(h, w, 3)] and its detected labels.

    ``use_classifier=False`` leaves out the ImageNet evidence (measurements and
    detections only; ~150 ms faster a picture on two cores). ``probabilities``:
    the classifier's answer for the whole of ``rgb`` [shape=(1000,)] when the
    caller already has it (:func:`~see2sound.vision.analyze_picture` shares one
    pass with :mod:`.propose`); None asks the shared classifier.
    """
    f = describe(rgb)
    scores = measured_scores(f, labels)
    if use_classifier:
        if probabilities is None:
            probabilities = shared_classifier().probabilities(rgb)
        for kind, evidence in imagenet_evidence(probabilities).items():
            scores[kind] += CLASSIFIER_WEIGHT * evidence
    z = np.array([scores[k] for k in AMBIENCE_KINDS]) / SOFTMAX_TEMPERATURE
    p = np.exp(z - z.max())
    p /= p.sum()
    best = int(np.argmax(p))
    return AMBIENCE_KINDS[best], float(p[best]), f
