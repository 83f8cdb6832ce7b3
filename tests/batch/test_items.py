"""Inputs into items: folders mirrored, globs, manifests with per-item options, duplicates refused."""

import json

import pytest

from see2sound.batch.items import expand_inputs
from see2sound.errors import See2SoundError
from tests.batch.helpers import EXAMPLES, pictures


def test_a_folder_is_walked_and_its_tree_mirrored(tmp_path):
    pictures(tmp_path / "in", 4)
    (tmp_path / "in" / "readme.txt").write_text("skip me")
    names = [item.name for item in expand_inputs([str(tmp_path / "in")])]
    assert "set0/p00-astronaut" in names and "p01-chelsea" in names and len(names) == 4


def test_the_output_folder_inside_the_inputs_is_not_taken_for_input(tmp_path):
    pictures(tmp_path / "in", 2)
    pictures(tmp_path / "in" / "out", 2)
    items = expand_inputs([str(tmp_path / "in")], skip=tmp_path / "in" / "out")
    assert all(not n.startswith("out/") for n in (i.name for i in items)) and len(items) == 2


def test_a_glob_mirrors_from_its_fixed_part(tmp_path):
    pictures(tmp_path / "in", 6)
    items = expand_inputs([str(tmp_path / "in" / "**" / "*.jpg")])
    assert {i.name for i in items} >= {"set0/p00-astronaut", "p01-chelsea"}


def test_a_csv_manifest_gives_per_item_options(tmp_path):
    made = pictures(tmp_path, 2)
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"path,seed,duration,format\n{made[0].relative_to(tmp_path)},7,1.5,foa\n{made[1]},,,\n")
    items = expand_inputs([str(manifest)])
    assert items[0].options == {"seed": 7, "duration": 1.5, "format": "foa"}
    assert items[1].options == {} and items[0].name == "set0/p00-astronaut"


def test_a_jsonl_manifest(tmp_path):
    made = pictures(tmp_path, 1)
    manifest = tmp_path / "list.jsonl"
    manifest.write_text(json.dumps({"path": str(made[0]), "hfov": 90, "preset": "offline"}) + "\n\n")
    assert expand_inputs([str(manifest)])[0].options == {"hfov": 90.0, "preset": "offline"}


@pytest.mark.parametrize("text, message", [
    ("path,seed\nx.jpg,1\n", "x.jpg: no such file"),
    ("path,seed\n{p},one\n", "seed: expected a whole number"),
    ("path,colour\n{p},red\n", "unknown column 'colour'"),
    ("file\n{p}\n", "needs a 'path' column"),
    ("path,format\n{p},quad\n", "format: 'quad' is not one of"),
])
def test_a_bad_manifest_is_one_error_naming_the_line(tmp_path, text, message):
    manifest = tmp_path / "list.csv"
    manifest.write_text(text.format(p=EXAMPLES[0]))
    with pytest.raises(See2SoundError, match=message):
        expand_inputs([str(manifest)])


def test_two_items_with_one_output_name_are_refused(tmp_path):
    (tmp_path / "in").mkdir()
    for suffix in (".jpg", ".png"):
        (tmp_path / "in" / f"same{suffix}").write_bytes(EXAMPLES[0].read_bytes())
    with pytest.raises(See2SoundError, match="both would write same"):
        expand_inputs([str(tmp_path / "in")])


def test_nothing_to_do_is_an_error(tmp_path):
    with pytest.raises(See2SoundError, match="no such file, folder or glob"):
        expand_inputs([str(tmp_path / "missing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(See2SoundError, match="no pictures or videos"):
        expand_inputs([str(tmp_path / "empty")])
