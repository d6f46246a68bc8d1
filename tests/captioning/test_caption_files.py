"""COCO and Flickr caption files: the real files parse, broken ones fail by name."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import torch

from attnseq.config import AugmentConfig
from attnseq.data.captions import hash_split, read_coco, read_coco_mini, read_flickr
from attnseq.data.images import augment, load_images, open_image, shift
from attnseq.errors import DataError

COCO = Path("captioning") / "coco-mini"
TRAIN_JSON = COCO / "annotations" / "captions_train2017_subset80.json"


@pytest.fixture(scope="module")
def coco_mini(mirror):
    return read_coco_mini(str(mirror))


def test_coco_mini_has_every_photo_with_five_captions(coco_mini, mirror):
    assert len(coco_mini) == 271
    assert all(len(image.captions) >= 5 and image.path.is_file() for image in coco_mini)
    assert len({image.key for image in coco_mini}) == 271
    first = read_coco(mirror / TRAIN_JSON, mirror / COCO / "images" / "train2017")
    assert len(first) == 80 and sum(len(im.captions) for im in first) == 400
    assert "A fleet of airplanes rest at their gates at the airport." in {
        c for im in first for c in im.captions
    }


def test_hash_split_is_stable_and_holds_out_a_fifth(coco_mini):
    splits = [hash_split(im.key, 0.1, 0.2) for im in coco_mini]
    assert splits == [hash_split(im.key, 0.1, 0.2) for im in coco_mini]
    assert 0.12 < splits.count("test") / 271 < 0.28
    assert 0.04 < splits.count("valid") / 271 < 0.16


def _images_dir(tmp_path: Path, mirror: Path, names: list[str]) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    sources = sorted((mirror / COCO / "images" / "val2017").glob("*.jpg"))
    for name, source in zip(names, sources, strict=False):
        (folder / name).symlink_to(source)
    return folder


def test_missing_image_is_named(tmp_path, mirror):
    doc = json.loads((mirror / TRAIN_JSON).read_text())
    names = [im["file_name"] for im in doc["images"]]
    folder = _images_dir(tmp_path, mirror, names[:-1])  # the last photo is missing
    with pytest.raises(DataError, match=rf"{names[-1]}: image file not found .*subset80"):
        read_coco(mirror / TRAIN_JSON, folder)


def test_caption_without_image_is_refused(tmp_path, mirror):
    doc = json.loads((mirror / TRAIN_JSON).read_text())
    doc["annotations"].append({"image_id": 12345678, "id": 1, "caption": "A cat."})
    path = tmp_path / "captions.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"annotations\[400\] .* image_id 12345678, which is not"):
        read_coco(path, mirror / COCO / "images" / "train2017")


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"images": [', r"invalid JSON at line 1"),
        (b"\xff\xfe not text", r"not UTF-8"),
        (b'{"annotations": []}', r"no 'images' list"),
        (
            b'{"images": [{"id": 1}], "annotations": []}',
            r"images\[0\] needs an 'id' and a 'file_name'",
        ),
    ],
)
def test_unreadable_captions_file(tmp_path, content, message):
    path = tmp_path / "captions.json"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_coco(path, tmp_path)
    with pytest.raises(DataError, match="captions file not found"):
        read_coco(tmp_path / "nope.json", tmp_path)


def test_unreadable_image_is_named(tmp_path, mirror):
    photo = next((mirror / COCO / "images" / "val2017").glob("*.jpg"))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(photo.read_bytes()[:2000])  # truncated
    with pytest.raises(DataError, match="broken.jpg: cannot read image"):
        open_image(broken)
    text = tmp_path / "text.jpg"
    text.write_text("not an image")
    with pytest.raises(DataError, match="text.jpg: cannot read image"):
        load_images([text], (8, 8), grey=False)


@pytest.fixture
def flickr30k(tmp_path, mirror):
    """A Flickr30k token file of real captions (Multi30k's English side is Flickr30k's
    descriptions, one per image) with real photos standing in under the Flickr names."""
    names = (mirror / "multi30k" / "image_splits" / "val.txt").read_text().split()[:12]
    with gzip.open(mirror / "multi30k" / "raw" / "val.en.gz", "rt", encoding="utf-8") as f:
        captions = [next(f).strip() for _ in names]
    lines = [
        f"{name}#{k}\t{caption}"
        for name, caption in zip(names, captions, strict=True)
        for k in range(2)
    ]
    token = tmp_path / "results_20130124.token"
    token.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return token, _images_dir(tmp_path, mirror, names), names, captions


def test_flickr_token_file_of_real_captions(flickr30k, tmp_path):
    token, folder, names, captions = flickr30k
    images = read_flickr(token, folder)
    assert [im.key for im in images] == names
    assert images[0].captions == [captions[0], captions[0]]
    split = tmp_path / "Flickr_8k.devImages.txt"
    split.write_text(f"{names[3]}\n{names[1]}\n")
    chosen = read_flickr(token, folder, split)
    assert [im.key for im in chosen] == [names[3], names[1]]
    pixels = load_images([im.path for im in chosen], (24, 32), grey=False)
    assert pixels.shape == (2, 3, 24, 32) and pixels.dtype == torch.uint8


def test_flickr_errors_name_file_and_line(flickr30k, tmp_path):
    token, folder, names, _ = flickr30k
    bad = tmp_path / "bad.token"
    bad.write_text(token.read_text().splitlines()[0] + "\nno tab or index here\n")
    with pytest.raises(DataError, match=r"bad.token: line 2: expected 'image.jpg#N<TAB>caption'"):
        read_flickr(bad, folder)
    (folder / names[5]).unlink()
    with pytest.raises(DataError, match=rf"{names[5]}: image file not found"):
        read_flickr(token, folder)
    split = tmp_path / "split.txt"
    split.write_text("1234.jpg\n")
    with pytest.raises(DataError, match="split.txt: image 1234.jpg has no captions"):
        read_flickr(token, folder, split)


def test_augmentation_is_seeded_and_keeps_the_size(mirror):
    photo = next((mirror / COCO / "images" / "val2017").glob("*.jpg"))
    pixels = load_images([photo, photo], (32, 48), grey=False)
    cfg = AugmentConfig(flip=True, crop=0.2, brightness=0.2, contrast=0.2)
    a = augment(pixels, cfg, torch.Generator().manual_seed(3))
    b = augment(pixels, cfg, torch.Generator().manual_seed(3))
    assert a.shape == (2, 3, 32, 48) and torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1
    assert not torch.equal(a[0], a[1])  # each image its own change
    plain = augment(pixels, AugmentConfig(), torch.Generator())
    torch.testing.assert_close(plain, pixels.float() / 127.5 - 1)


def test_shift_moves_the_image_and_repeats_its_edge():
    image = torch.arange(12.0).view(1, 1, 3, 4)
    assert torch.equal(shift(image, 0, 0), image)
    right = shift(image, 1, 0)
    assert torch.equal(right[..., 1:], image[..., :-1]) and torch.equal(
        right[..., 0], image[..., 0]
    )
    up = shift(image, 0, -1)
    assert torch.equal(up[..., :-1, :], image[..., 1:, :]) and torch.equal(
        up[..., -1, :], image[..., -1, :]
    )
    assert shift(image, -1, 1).shape == image.shape
    with pytest.raises(ValueError, match="cannot shift a 3x4 image"):
        shift(image, 0, 3)
