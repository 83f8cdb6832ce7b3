"""One vocabulary for every detector: labels, sound, size and AudioSet names.

Each detector's classes map onto these labels (``COCO80`` for NanoDet,
``OIV4_24`` for the MediaPipe SSD), so an ensemble can merge them.

Per label:

- ``sound``: typical level in dB SPL at 1 m while it makes its sound, or
  None for things that are silent in a picture (a chair, a cup). Used to
  rank sources and, by the sound stage, to set levels.
- ``height_m`` / ``width_m``: typical size as seen in photos (width is
  between front and side views), for distance = focal x size / pixels.
  None where the class varies too much to say.
- ``grounded``: stands on the ground (its box bottom is a ground contact).
- ``audioset``: AudioSet ontology class names the sound should be.

Sizes are typical values. Sources: people, mean adult stature 1.65 m
(NCD-RisC, eLife 2016, world means 1.71 m men / 1.59 m women), no width
(a person's box width depends on pose, arms and company); cars 1.5 m high, 4.5 x 1.8 m
(ACEA EU fleet averages); buses 3.2 m high, 12 m long (EU Directive 96/53/EC
limits 4 m / 12 m for rigid buses); heavy trucks 3.5 m (same directive);
motorcycles 1.1 m x 2.1 m and bicycles 1.05 m x 1.75 m (ISO 4210 frame
classes); trains 4 m (UIC 505 gauge); animals from shoulder heights in
breed/zoological references (domestic cat 0.25 m, medium dog 0.55 m, horse
1.6 m, cow 1.4 m, sheep 0.8 m, elephant 3 m, giraffe 5 m); household items
from common retail dimensions (IKEA / manufacturer catalogues: 55" TV
0.7 x 1.2 m, laptop 0.23 x 0.33 m, wall clock 0.3 m, fridge 1.8 m).

Labels no detector has, proposed by the ImageNet classifier
(:mod:`.propose`) or added by a user. Their levels and sizes are coarser
priors than those above; each says where it comes from:

- ``church bell``: ~80 dB by the church gate (bell ringers' own measurement,
  All Saints Wokingham, allsaintswokinghambells.org.uk "Sound level"),
  taken to be 20-30 m from the belfry (assumed), is ~105 dB at 1 m by the inverse-square
  law. The size is what a photo shows: the tower that holds the bells,
  ~20 m (an order of magnitude for a parish church's tower, not a
  survey), no width; not grounded (the sound comes from the belfry).
- ``fountain``: 70 dB at 1 m, an estimate: urban fountains range from soft,
  variable sounds to loud steady ones (32 park fountains recorded by
  Rådsten Ekman, Lunde and Nilsson, JASA 138(5), 2015); no measured level
  at 1 m was found for this prior. Size:
  a town fountain's jets and basin, ~2 m high and ~5 m wide (order of
  magnitude). Not grounded for distance: a proposed fountain's box is
  placed by the classifier, its bottom is no ground contact.
- ``typewriter``: typing on a mechanical typewriter, 65 dB at 1 m, an
  estimate (its type bars strike far harder than a computer keyboard's
  keys, 45 dB here); seen from the front ~0.2 x 0.45 m (an office
  machine's height and width, an estimate, not a survey).
- ``insect``: field crickets' (*Gryllus*) courtship ticks average ~80 dB
  at 19 cm (Fitzpatrick and Gray, 2001), ~66 dB at 1 m; calling songs are
  louder, bees far quieter: 60 dB. Size 3 x 4 cm (a cricket's or a bee's body).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str
    sound: float | None
    height_m: float | None
    width_m: float | None
    grounded: bool
    audioset: tuple[str, ...] = ()


def _k(label, sound, h, w, grounded, *audioset):
    return Kind(label, sound, h, w, grounded, tuple(audioset))


KINDS = {k.label: k for k in [
    _k("person", 60, 1.65, None, True, "Speech", "Conversation", "Walk, footsteps"),
    _k("crowd", 70, 1.65, None, True, "Crowd", "Chatter", "Hubbub, speech noise, speech babble"),
    _k("bicycle", 55, 1.05, 1.4, True, "Bicycle", "Bicycle bell"),
    _k("car", 75, 1.5, 3.0, True, "Car", "Vehicle", "Engine", "Traffic noise, roadway noise"),
    _k("vehicle", 75, 1.6, 3.0, True, "Vehicle", "Engine", "Traffic noise, roadway noise"),
    _k("motorcycle", 85, 1.1, 1.5, True, "Motorcycle", "Engine"),
    _k("airplane", 100, None, None, False, "Aircraft", "Fixed-wing aircraft, airplane", "Aircraft engine"),
    _k("bus", 80, 3.2, 8.0, True, "Bus", "Vehicle", "Engine"),
    _k("train", 90, 4.0, None, True, "Train", "Rail transport", "Train wheels squealing"),
    _k("truck", 85, 3.5, 6.0, True, "Truck", "Vehicle", "Engine"),
    _k("boat", 75, None, None, False, "Boat, Water vehicle", "Motorboat, speedboat", "Waves, surf"),
    _k("traffic light", None, 1.0, 0.35, False),
    _k("fire hydrant", None, 0.75, 0.4, True),
    _k("stop sign", None, 0.75, 0.75, False),
    _k("parking meter", None, 1.4, 0.3, True),
    _k("bench", None, 0.8, 1.5, True),
    _k("bird", 65, 0.2, 0.25, False, "Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet"),
    _k("cat", 55, 0.25, 0.45, True, "Cat", "Meow", "Purr"),
    _k("dog", 70, 0.55, 0.8, True, "Dog", "Bark"),
    _k("horse", 75, 1.6, 2.0, True, "Horse", "Neigh, whinny", "Clip-clop"),
    _k("sheep", 65, 0.8, 1.1, True, "Sheep", "Bleat"),
    _k("cow", 75, 1.4, 2.0, True, "Cattle, bovinae", "Moo"),
    _k("elephant", 90, 3.0, 4.5, True, "Wild animals", "Animal"),
    _k("bear", 75, 1.1, 1.8, True, "Wild animals", "Growling"),
    _k("zebra", 70, 1.4, 2.0, True, "Horse", "Neigh, whinny"),
    _k("giraffe", 55, 5.0, 3.0, True, "Animal"),
    _k("backpack", None, 0.5, 0.3, False),
    _k("umbrella", None, 1.0, 1.0, False, "Rain"),
    _k("handbag", None, 0.3, 0.35, False),
    _k("tie", None, 0.45, 0.08, False),
    _k("suitcase", 55, 0.65, 0.45, True, "Rumble"),
    _k("frisbee", None, 0.03, 0.25, False),
    _k("skis", 55, None, None, False),
    _k("snowboard", 55, None, None, False),
    _k("sports ball", 60, 0.22, 0.22, False, "Bouncing"),
    _k("kite", None, None, None, False),
    _k("baseball bat", None, None, None, False),
    _k("baseball glove", None, 0.3, 0.25, False),
    _k("skateboard", 65, 0.12, 0.8, True, "Skateboard"),
    _k("surfboard", None, None, None, False, "Waves, surf"),
    _k("tennis racket", 60, 0.68, 0.27, False, "Whack, thwack"),
    _k("bottle", None, 0.25, 0.07, False),
    _k("wine glass", None, 0.2, 0.08, False),
    _k("cup", None, 0.1, 0.09, False),
    _k("fork", None, 0.2, 0.03, False),
    _k("knife", None, 0.22, 0.03, False),
    _k("spoon", None, 0.17, 0.04, False),
    _k("bowl", None, 0.08, 0.16, False),
    _k("banana", None, 0.04, 0.2, False),
    _k("apple", None, 0.08, 0.08, False),
    _k("sandwich", None, 0.06, 0.14, False),
    _k("orange", None, 0.08, 0.08, False),
    _k("broccoli", None, 0.15, 0.12, False),
    _k("carrot", None, 0.03, 0.18, False),
    _k("hot dog", None, 0.05, 0.18, False),
    _k("pizza", None, 0.03, 0.3, False),
    _k("donut", None, 0.04, 0.09, False),
    _k("cake", None, 0.1, 0.22, False),
    _k("chair", None, 0.9, 0.5, True),
    _k("couch", None, 0.85, 2.0, True),
    _k("potted plant", None, 0.5, 0.4, True),
    _k("bed", None, 0.6, 1.6, True),
    _k("table", None, 0.75, 1.2, True),
    _k("toilet", 70, 0.8, 0.4, True, "Toilet flush"),
    _k("tv", 60, 0.7, 1.2, False, "Television", "Speech", "Music"),
    _k("laptop", 40, 0.23, 0.33, False, "Typing", "Computer keyboard", "Mechanical fan"),
    _k("mouse", 35, 0.04, 0.07, False, "Clicking"),
    _k("remote", None, 0.2, 0.05, False),
    _k("keyboard", 45, 0.04, 0.44, False, "Computer keyboard", "Typing"),
    _k("cell phone", 65, 0.15, 0.075, False, "Telephone", "Ringtone", "Telephone bell ringing"),
    _k("microwave", 55, 0.3, 0.5, False, "Microwave oven", "Beep, bleep", "Hum"),
    _k("oven", 45, 0.9, 0.6, True, "Hum", "Frying (food)"),
    _k("toaster", 50, 0.2, 0.3, False, "Ding", "Mechanisms"),
    _k("sink", 55, None, 0.6, False, "Sink (filling or washing)", "Water tap, faucet"),
    _k("refrigerator", 40, 1.8, 0.7, True, "Hum", "Mains hum", "Mechanical fan"),
    _k("book", 35, 0.24, 0.17, False, "Rustle"),
    _k("clock", 40, 0.3, 0.3, False, "Clock", "Tick", "Tick-tock"),
    _k("vase", None, 0.3, 0.15, False),
    _k("scissors", 45, 0.2, 0.08, False, "Scissors"),
    _k("teddy bear", None, 0.35, 0.25, False),
    _k("hair drier", 80, 0.25, 0.25, False, "Hair dryer"),
    _k("toothbrush", 45, 0.19, 0.02, False, "Toothbrush"),
    _k("footwear", None, 0.12, 0.28, True),
    _k("box", None, None, None, False),
    _k("exercise bike", 55, 1.2, 1.2, True, "Mechanisms"),
    _k("camera", 40, 0.1, 0.14, False, "Camera", "Single-lens reflex camera"),
    _k("church bell", 105, 20.0, None, False, "Church bell", "Bell", "Change ringing (campanology)"),
    _k("fountain", 70, 2.0, 5.0, False, "Water", "Splash, splatter", "Stream", "Waterfall"),
    _k("typewriter", 65, 0.2, 0.45, False, "Typewriter", "Typing"),
    _k("insect", 60, 0.03, 0.04, False, "Insect", "Cricket"),
]}

COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)

#: MediaPipe SSD Open Images V4 label map order (index 0 is background, "???").
OIV4_24 = (
    None, "bicycle", "footwear", "laptop", "person", "chair", "cow", "table", "cat", "mouse", "tv", "box",
    "cup", "cup", "exercise bike", "table", "bottle", "footwear", "vehicle", "footwear", "dog", "book",
    "camera", "car",
)
#: The Open Images names in the file, kept for provenance and tests.
OIV4_NAMES = ("???", "Bicycle", "Boot", "Laptop", "Person", "Chair", "Cattle", "Desk", "Cat", "Computer mouse",
              "Computer monitor", "Box", "Mug", "Coffee cup", "Stationary bicycle", "Table", "Bottle",
              "High heels", "Vehicle", "Footwear", "Dog", "Book", "Camera", "Car")

#: A detection of a generic label can be refined by a specific one in the same place.
REFINES = {"vehicle": ("car", "bus", "truck", "motorcycle", "train", "boat")}

#: Checked against the 521 AudioSet class names of YAMNet's class map (tests do too).
assert all(name in KINDS for name in COCO80) and all(n is None or n in KINDS for n in OIV4_24)


def is_sounding(label: str) -> bool:
    kind = KINDS.get(label)
    return kind is not None and kind.sound is not None
