"""Bucket specs: named recipes for clustered hold'em buckets (``configs/buckets/<name>.yaml``), validated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from holdem.abstraction.buckets import BucketSpecError

SPECS_DIR = Path(__file__).resolve().parents[2] / "configs" / "buckets"

STREET_NAMES = ("flop", "turn", "river")
FEATURES = {"flop": ("hs", "hist", "pa"), "turn": ("hs", "hist", "pa"), "river": ("hs", "ochs")}


@dataclass(frozen=True)
class StreetSpec:
    """Bucket count and clustering feature of one postflop street; ``sample`` and ``iterations`` override the
    spec's k-means settings for this street (0: use the spec's). ``bands`` (an OCHS river only) first splits
    the river into that many strength bands and clusters each band's hands by OCHS apart (0: no bands)."""

    buckets: int
    feature: str
    sample: int = 0
    iterations: int = 0
    bands: int = 0


@dataclass(frozen=True)
class BucketSpec:
    """A named recipe for hold'em buckets (``configs/buckets/<name>.yaml``)."""

    name: str
    game: str
    seed: int
    flop: StreetSpec
    turn: StreetSpec
    river: StreetSpec
    hist_bins: int = 8
    kmeans_iterations: int = 20
    kmeans_sample: int = 100_000
    preflop: str = "lossless"
    opponent_clusters: int = 8

    @property
    def potential_aware(self) -> bool:
        """Flop and turn on distributions over the next round (EMD), river by OCHS or by strength (the new
        builder)."""
        return self.flop.feature == "pa" and self.turn.feature == "pa"

    def sample_for(self, street: str) -> int:
        return getattr(self, street).sample or self.kmeans_sample

    def iterations_for(self, street: str) -> int:
        return getattr(self, street).iterations or self.kmeans_iterations

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "game": self.game, "seed": self.seed, "preflop": self.preflop,
            "hist_bins": self.hist_bins, "kmeans_iterations": self.kmeans_iterations,
            "kmeans_sample": self.kmeans_sample,
        }
        if self.potential_aware:
            out["opponent_clusters"] = self.opponent_clusters
        for st in STREET_NAMES:
            s = getattr(self, st)
            out[st] = {"buckets": s.buckets, "feature": s.feature}
            if s.sample:
                out[st]["sample"] = s.sample
            if s.iterations:
                out[st]["iterations"] = s.iterations
            if s.bands:
                out[st]["bands"] = s.bands
        return out

    @classmethod
    def from_dict(cls, data: Any, name: str) -> BucketSpec:
        if not isinstance(data, dict):
            raise BucketSpecError(f"bucket spec {name!r} must be a mapping")
        known = {"name", "game", "seed", "preflop", "hist_bins", "kmeans_iterations", "kmeans_sample",
                 "opponent_clusters", *STREET_NAMES}
        extra = sorted(set(data) - known)
        if extra:
            raise BucketSpecError(f"bucket spec {name!r}: unknown keys {extra}")

        def integer(key: str, default: int | None, lo: int, hi: int) -> int:
            value = data.get(key, default)
            if value is None:
                raise BucketSpecError(f"bucket spec {name!r}: missing {key!r}")
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise BucketSpecError(f"bucket spec {name!r}: {key} must be an integer in {lo}..{hi}")
            return value

        streets = {}
        for st in STREET_NAMES:
            s = data.get(st)
            if not isinstance(s, dict) or set(s) - {"buckets", "feature", "sample", "iterations", "bands"}:
                raise BucketSpecError(f"bucket spec {name!r}: {st} needs {{buckets: N, feature: F}} "
                                      "(optionally sample: N, iterations: N; an OCHS river bands: N)")
            n = s.get("buckets")
            if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= 65535:
                raise BucketSpecError(f"bucket spec {name!r}: {st}.buckets must be an integer in 2..65535")
            f = s.get("feature", "hs")
            if f not in FEATURES[st]:
                raise BucketSpecError(f"bucket spec {name!r}: {st}.feature must be one of {FEATURES[st]}")
            extra = {}
            for key, lo, hi in (("sample", 100, 1 << 40), ("iterations", 1, 10_000)):
                v = s.get(key, 0)
                if v and (not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi):
                    raise BucketSpecError(f"bucket spec {name!r}: {st}.{key} must be an integer in {lo}..{hi}")
                extra[key] = v
            bands = s.get("bands", 0)
            if bands and not (st == "river" and f == "ochs"):
                raise BucketSpecError(f"bucket spec {name!r}: {st}.bands is for an OCHS river only")
            if bands and (not isinstance(bands, int) or isinstance(bands, bool) or not 2 <= bands <= n // 2
                          or n % bands):
                raise BucketSpecError(f"bucket spec {name!r}: river.bands must divide river.buckets ({n}) into "
                                      "bands of at least 2 buckets")
            streets[st] = StreetSpec(n, f, bands=bands, **extra)
        chosen = {st: streets[st].feature for st in STREET_NAMES}
        pa = chosen["flop"] == "pa" and chosen["turn"] == "pa"
        if (chosen["flop"] == "pa") != (chosen["turn"] == "pa") or (chosen["river"] == "ochs" and not pa):
            raise BucketSpecError(f"bucket spec {name!r}: potential-aware features go together "
                                  f"(flop: pa, turn: pa, river: ochs or hs), got {chosen}")
        if data.get("preflop", "lossless") != "lossless":
            raise BucketSpecError(f"bucket spec {name!r}: preflop must be 'lossless' (169 classes)")
        game = data.get("game", "hunl")
        if not isinstance(game, str):
            raise BucketSpecError(f"bucket spec {name!r}: game must be a game name")
        return cls(
            name=str(data.get("name", name)), game=game, seed=integer("seed", 0, 0, 2**63 - 1),
            hist_bins=integer("hist_bins", 8, 2, 255),
            kmeans_iterations=integer("kmeans_iterations", 20, 1, 10_000),
            kmeans_sample=integer("kmeans_sample", 100_000, 100, 1 << 40),
            opponent_clusters=integer("opponent_clusters", 8, 1, 64), **streets,
        )


def builtin_specs() -> list[str]:
    """Names of the bucket specs shipped in ``configs/buckets``."""
    return sorted(p.stem for p in SPECS_DIR.glob("*.yaml"))


def load_spec(name_or_path: str | Path) -> BucketSpec:
    """A shipped spec by name (``tiny``, ``quick``, ``mid``, ``quick-pa``, ``large``...) or a YAML file by path."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = SPECS_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            raise BucketSpecError(f"unknown bucket spec {str(name_or_path)!r}: expected one of "
                                  f"{builtin_specs()} or a .yaml file")
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BucketSpecError(f"cannot read bucket spec {str(path)!r}: {type(exc).__name__}") from None
    return BucketSpec.from_dict(data, path.stem)
