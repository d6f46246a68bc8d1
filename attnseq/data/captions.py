"""Captioned images: the COCO captions JSON and the Flickr8k/Flickr30k token file.

Both readers check what a training run would otherwise trip over hours
later, and name the file (and line or entry) when something is wrong: an
unreadable or malformed file, a caption whose image is not in the file's
image list, an image file that is not in the images folder.

* COCO: ``{"images": [{"id", "file_name"}, ...], "annotations": [{"image_id",
  "caption"}, ...]}`` (``captions_train2017.json`` and friends).
* Flickr: one ``name.jpg#N<TAB>caption`` line per caption
  (``Flickr8k.token.txt``, ``results_20130124.token``), plus optional split
  files listing one image name per line (``Flickr_8k.trainImages.txt``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from attnseq.config import CaptionDataConfig, CaptionFilesConfig, DataConfig
from attnseq.data.registry import get_spec, prepare
from attnseq.errors import DataError


@dataclass
class CaptionedImage:
    key: str  # the image's name in its data set (COCO file name, Flickr image name)
    path: Path
    captions: list[str] = field(default_factory=list)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: captions file not found") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None


def _check_files(images: list[CaptionedImage], captions_file: Path) -> list[CaptionedImage]:
    for image in images:
        if not image.path.is_file():
            raise DataError(
                f"{image.path}: image file not found (it has captions in {captions_file})"
            )
    return images


def read_coco(
    captions_file: Path, images_dir: Path, only: Collection[str] | None = None
) -> list[CaptionedImage]:
    """Images with at least one caption, in the file's image order.

    ``only`` restricts the result to these file names (a mirror that holds
    some of the photos a captions file describes); images without captions
    are left out.
    """
    text = _read_text(captions_file)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{captions_file}: invalid JSON at line {err.lineno} column {err.colno} ({err.msg})"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise DataError(f"{captions_file}: not a COCO captions file (no 'images' list)")
    if not isinstance(doc.get("annotations"), list):
        raise DataError(f"{captions_file}: not a COCO captions file (no 'annotations' list)")
    by_id: dict[object, CaptionedImage] = {}
    for i, entry in enumerate(doc["images"]):
        if not isinstance(entry, dict) or "id" not in entry or "file_name" not in entry:
            raise DataError(f"{captions_file}: images[{i}] needs an 'id' and a 'file_name'")
        name = str(entry["file_name"])
        by_id[entry["id"]] = CaptionedImage(name, images_dir / name)
    for i, ann in enumerate(doc["annotations"]):
        if not isinstance(ann, dict) or not isinstance(ann.get("caption"), str):
            raise DataError(f"{captions_file}: annotations[{i}] needs a 'caption' string")
        image = by_id.get(ann.get("image_id"))
        if image is None:
            raise DataError(
                f"{captions_file}: annotations[{i}] is a caption of image_id "
                f"{ann.get('image_id')!r}, which is not in 'images'"
            )
        caption = " ".join(ann["caption"].split())
        if caption:
            image.captions.append(caption)
    kept = [
        image for image in by_id.values() if image.captions and (only is None or image.key in only)
    ]
    return _check_files(kept, captions_file)


def read_flickr(
    token_file: Path, images_dir: Path, image_list: Path | None = None
) -> list[CaptionedImage]:
    """Images of a Flickr token file, all or those named in ``image_list``, in file order."""
    images: dict[str, CaptionedImage] = {}
    for number, line in enumerate(_read_text(token_file).splitlines(), 1):
        if not line.strip():
            continue
        name_part, tab, caption = line.partition("\t")
        name, hash_mark, index = name_part.strip().rpartition("#")
        if not tab or not hash_mark or not name or not index.strip().isdigit():
            raise DataError(
                f"{token_file}: line {number}: expected 'image.jpg#N<TAB>caption', "
                f"got {line[:60]!r}"
            )
        caption = " ".join(caption.split())
        if caption:
            images.setdefault(name, CaptionedImage(name, images_dir / name)).captions.append(
                caption
            )
    if image_list is not None:
        wanted = [n.strip() for n in _read_text(image_list).splitlines() if n.strip()]
        for name in wanted:
            if name not in images:
                raise DataError(f"{image_list}: image {name} has no captions in {token_file}")
        chosen = [images[name] for name in wanted]
    else:
        chosen = list(images.values())
    return _check_files(chosen, token_file)


def read_files(files: CaptionFilesConfig, base: Path = Path(".")) -> list[CaptionedImage]:
    def resolve(name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else base / path

    captions, images = resolve(files.captions), resolve(files.images)
    if not images.is_dir():
        raise DataError(f"{images}: images folder not found")
    if files.format == "coco":
        return read_coco(captions, images)
    image_list = resolve(files.image_list) if files.image_list else None
    return read_flickr(captions, images, image_list)


# ----------------------------------------------------------------- data sets

COCO_MINI = "coco-mini"
_COCO_MINI_PARTS = (
    ("annotations/captions_train2017_subset80.json", "images/train2017"),
    ("annotations/captions_val2017.json", "images/val2017"),
)


def read_coco_mini(mirror: str | None = None) -> list[CaptionedImage]:
    """All 271 photos of the registry's coco-mini with their five captions each.

    The val captions file describes 5,000 images; the mirror holds 191 of
    the photos, the ones the registry lists, and only those are used.
    """
    folder = prepare(COCO_MINI, mirror=mirror, progress=False)
    present = {Path(f.path).name for f in get_spec(COCO_MINI).files if f.path.startswith("images/")}
    images: list[CaptionedImage] = []
    for captions, image_dir in _COCO_MINI_PARTS:
        images += read_coco(folder / captions, folder / image_dir, only=present)
    return images


def hash_split(key: str, valid_fraction: float, test_fraction: float) -> str:
    """ "train", "valid" or "test" from a hash of the image name: stable across runs."""
    u = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:12], 16) / 16**12
    if u < test_fraction:
        return "test"
    return "valid" if u < test_fraction + valid_fraction else "train"


def load_caption_split(
    data: DataConfig, split: str, base: Path = Path(".")
) -> list[CaptionedImage]:
    """Images of ``split`` ("train", "valid" or "test") from your files or coco-mini.

    A split without files of its own is cut from the training images by
    hash, ``valid_fraction`` and ``test_fraction`` of them.
    """
    cfg = data.captions or CaptionDataConfig()
    own = getattr(cfg, split, None)
    if own is not None and split != "train":
        return read_files(own, base)
    if cfg.train is not None:
        pool = read_files(cfg.train, base)
    elif data.dataset == COCO_MINI:
        pool = read_coco_mini(data.mirror)
    else:
        raise DataError(
            f"data.dataset: {data.dataset!r} is not a caption data set; use {COCO_MINI}, "
            "mnist-sequences or your own files in data.captions.train"
        )
    # Splits given as files are not cut from the pool again.
    fractions = {
        "valid": 0.0 if cfg.valid is not None else cfg.valid_fraction,
        "test": 0.0 if cfg.test is not None else cfg.test_fraction,
    }
    chosen = [
        image
        for image in pool
        if hash_split(image.key, fractions["valid"], fractions["test"]) == split
    ]
    if not chosen:
        raise DataError(f"data.captions: no {split} images (check the fractions and files)")
    return chosen
