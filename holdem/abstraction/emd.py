"""Clustering under earth mover's distance for the potential-aware builder (numba kernels + Lloyd driver).

Three metrics, one Lloyd loop (:func:`lloyd`): k-means++ seeding, then assignment / update until no
label changes. Every assignment visits centroids outward from the point's mean and stops when the mean
gap, a lower bound of the distance, exceeds the best distance found, so it rarely computes more than a
few distances. Results do not depend on the number of threads (updates are sequential).

- ``l1``: points are sorted samples (a quantile function, uint8). Over an ordered ground space, L1
  between quantile functions is the exact 1-D EMD (scaled by the number of samples), and the
  coordinatewise median is an exact EMD barycenter: this is k-medians.
- ``l2``: squared L2 on float vectors with mean centroids (OCHS on the river).
- ``gs``: points are distributions over next-round buckets (sorted bucket samples), centroids mean
  histograms over those buckets, ground distance the exact 1-D EMD between the buckets' centroids. The
  EMD is approximated by the greedy of Ganzfried and Sandholm (AAAI 2014), a feasible transport plan
  (so an upper bound); the L1 gap of the points' mean quantile functions is a lower bound used to prune.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

L1, L2, GS = 0, 1, 2
BLOCK = 256
EPS = 1e-12


@dataclass
class Ground:
    """Next-round buckets as the ground space of the ``gs`` metric: their quantile centroids (0..1),
    and per bucket the buckets ordered by distance with those distances."""

    quantiles: np.ndarray
    order: np.ndarray
    sorted_dist: np.ndarray

    @classmethod
    def from_quantiles(cls, quantiles: np.ndarray) -> Ground:
        q = np.ascontiguousarray(quantiles, dtype=np.float64)
        dist = np.abs(q[:, None, :] - q[None, :, :]).mean(axis=2)
        order = np.argsort(dist, axis=1, kind="stable").astype(np.int32)
        return cls(q, order, np.ascontiguousarray(np.take_along_axis(dist, order, axis=1)))


@njit(cache=True, inline="always")
def _mean_row(x: np.ndarray) -> float:
    s = 0.0
    for j in range(x.shape[0]):
        s += x[j]
    return s / x.shape[0]


@njit(cache=True, inline="always")
def _distinct(point: np.ndarray, buckets: np.ndarray, masses: np.ndarray) -> int:
    """A point's sorted bucket samples as distinct buckets with their masses; returns how many."""
    n = point.shape[0]
    u = 0
    for t in range(n):
        if t == 0 or point[t] != point[t - 1]:
            buckets[u] = point[t]
            masses[u] = 0.0
            u += 1
        masses[u - 1] += 1.0 / n
    return u


@njit(cache=True, inline="always")
def _embed(buckets: np.ndarray, masses: np.ndarray, u: int, quantiles: np.ndarray, out: np.ndarray) -> None:
    """Mean quantile function of a point (its buckets' quantile centroids weighted by mass)."""
    out[:] = 0.0
    for i in range(u):
        out += masses[i] * quantiles[buckets[i]]


@njit(cache=True, inline="always")
def _gs_emd(buckets: np.ndarray, masses: np.ndarray, u: int, hist: np.ndarray, order: np.ndarray,
            sorted_dist: np.ndarray, remaining: np.ndarray, targets: np.ndarray, live: np.ndarray,
            cutoff: float) -> float:
    """Greedy EMD (Ganzfried-Sandholm) from a point to a histogram over buckets; stops at ``cutoff``.

    Round j sends each unplaced part of the point to its j-th nearest bucket, as much as that bucket has
    left; the cost of this feasible plan bounds the EMD from above.
    """
    for i in range(u):
        targets[i] = masses[i]
        live[i] = i
    for b in range(hist.shape[0]):
        remaining[b] = hist[b]
    left = u
    cost = 0.0
    for j in range(hist.shape[0]):
        t = 0
        while t < left:
            i = live[t]
            pc = buckets[i]
            mc = order[pc, j]
            amount = remaining[mc]
            if amount > EPS:
                d = sorted_dist[pc, j]
                if amount < targets[i]:
                    cost += amount * d
                    targets[i] -= amount
                    remaining[mc] = 0.0
                else:
                    cost += targets[i] * d
                    remaining[mc] = amount - targets[i]
                    left -= 1
                    live[t] = live[left]
                    continue
            t += 1
        if left == 0 or cost >= cutoff:
            break
    return cost


@njit(cache=True, inline="always")
def _search_start(sorted_means: np.ndarray, mx: float) -> int:
    return np.searchsorted(sorted_means, mx)


@njit(cache=True, parallel=True)
def assign_vectors(metric: int, X: np.ndarray, cent: np.ndarray, by_mean: np.ndarray, sorted_means: np.ndarray,
                   labels: np.ndarray, dist: np.ndarray) -> None:
    """Nearest centroid (L1 or squared L2) of every row of ``X`` (ties to the lower index), visiting
    centroids outward from the row's mean; the mean gap bounds the distance from below."""
    n, d = X.shape
    k = cent.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        x = np.empty(d, dtype=np.float64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            mx = 0.0
            for j in range(d):
                x[j] = X[i, j]
                mx += x[j]
            mx /= d
            pos = _search_start(sorted_means, mx)
            lo = pos - 1
            hi = pos
            best = np.inf
            bi = -1
            while lo >= 0 or hi < k:
                gl = mx - sorted_means[lo] if lo >= 0 else np.inf
                gh = sorted_means[hi] - mx if hi < k else np.inf
                if gl <= gh:
                    t = lo
                    gap = gl
                    lo -= 1
                else:
                    t = hi
                    gap = gh
                    hi += 1
                bound = gap * d if metric == L1 else gap * gap * d
                if bound > best:
                    break
                c = by_mean[t]
                s = 0.0
                if metric == L1:
                    for j in range(d):
                        s += abs(x[j] - cent[c, j])
                else:
                    for j in range(d):
                        u = x[j] - cent[c, j]
                        s += u * u
                if s < best or (s == best and c < bi):
                    best = s
                    bi = c
            labels[i] = bi
            dist[i] = best


@njit(cache=True, parallel=True)
def assign_gs(X: np.ndarray, hist: np.ndarray, cent_emb: np.ndarray, quantiles: np.ndarray, order: np.ndarray,
              sorted_dist: np.ndarray, labels: np.ndarray, dist: np.ndarray) -> None:
    """Nearest centroid of every point under the greedy EMD. The L1 gap of mean quantile functions bounds the
    exact EMD from below (the greedy bounds it from above): greedy distances are computed in increasing
    order of that bound, each cut off at the best so far, and the search stops once the bound passes it."""
    n, npts = X.shape
    k, nb = hist.shape
    q = quantiles.shape[1]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        remaining = np.empty(nb, dtype=np.float64)
        buckets = np.empty(npts, dtype=np.int64)
        masses = np.empty(npts, dtype=np.float64)
        targets = np.empty(npts, dtype=np.float64)
        live = np.empty(npts, dtype=np.int64)
        emb = np.empty(q, dtype=np.float64)
        bound = np.empty(k, dtype=np.float64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            u = _distinct(X[i], buckets, masses)
            _embed(buckets, masses, u, quantiles, emb)
            for c in range(k):
                s = 0.0
                for j in range(q):
                    s += abs(emb[j] - cent_emb[c, j])
                bound[c] = s / q
            order_c = np.argsort(bound)
            best = np.inf
            bi = -1
            for t in range(k):
                c = order_c[t]
                if bound[c] > best:
                    break
                s = _gs_emd(buckets, masses, u, hist[c], order, sorted_dist, remaining, targets, live, best)
                if s < best or (s == best and c < bi):
                    best = s
                    bi = c
            labels[i] = bi
            dist[i] = best


@njit(cache=True)
def _update_median(X: np.ndarray, w: np.ndarray, labels: np.ndarray, cent: np.ndarray) -> np.ndarray:
    k, d = cent.shape
    hist = np.zeros((k, d, 256), dtype=np.float64)
    mass = np.zeros(k, dtype=np.float64)
    for i in range(X.shape[0]):
        c = labels[i]
        mass[c] += w[i]
        for j in range(d):
            hist[c, j, X[i, j]] += w[i]
    for c in range(k):
        if mass[c] <= 0:
            continue
        for j in range(d):
            acc = 0.0
            for v in range(256):
                acc += hist[c, j, v]
                if 2.0 * acc >= mass[c]:
                    cent[c, j] = v
                    break
    return mass


@njit(cache=True)
def _update_mean(metric: int, X: np.ndarray, w: np.ndarray, labels: np.ndarray, cent: np.ndarray) -> np.ndarray:
    k, d = cent.shape
    sums = np.zeros((k, d), dtype=np.float64)
    mass = np.zeros(k, dtype=np.float64)
    for i in range(X.shape[0]):
        c = labels[i]
        mass[c] += w[i]
        if metric == GS:
            share = w[i] / X.shape[1]
            for t in range(X.shape[1]):
                sums[c, X[i, t]] += share
        else:
            for j in range(X.shape[1]):
                sums[c, j] += w[i] * X[i, j]
    for c in range(k):
        if mass[c] > 0:
            for j in range(d):
                cent[c, j] = sums[c, j] / mass[c]
    return mass


@njit(cache=True, parallel=True)
def _seed_distances(metric: int, X: np.ndarray, cent: np.ndarray, c: int, quantiles: np.ndarray, best: np.ndarray
                    ) -> None:
    """k-means++ seeding: lower ``best`` by the distance to centroid ``c`` (``gs``: the L1 gap of embeddings)."""
    q = quantiles.shape[1]
    cemb = np.zeros(q, dtype=np.float64)
    if metric == GS:
        for b in range(cent.shape[1]):
            cemb += cent[c, b] * quantiles[b]
    n = X.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        emb = np.empty(q, dtype=np.float64)
        buckets = np.empty(X.shape[1], dtype=np.int64)
        masses = np.empty(X.shape[1], dtype=np.float64)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            s = 0.0
            if metric == GS:
                _embed(buckets, masses, _distinct(X[i], buckets, masses), quantiles, emb)
                for j in range(q):
                    s += abs(emb[j] - cemb[j])
                s /= q
            elif metric == L1:
                for j in range(X.shape[1]):
                    s += abs(X[i, j] - cent[c, j])
            else:
                for j in range(X.shape[1]):
                    t = X[i, j] - cent[c, j]
                    s += t * t
            if s < best[i]:
                best[i] = s


def _as_centroid(metric: int, x: np.ndarray, dims: int) -> np.ndarray:
    if metric != GS:
        return x.astype(np.float64)
    out = np.zeros(dims)
    np.add.at(out, x.astype(np.int64), 1.0 / len(x))
    return out


def seed_centroids(metric: int, X: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator,
                   ground: Ground | None, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """k-means++ (probability proportional to weight times distance, squared for ``l2``)."""
    dims = len(ground.quantiles) if metric == GS else X.shape[1]
    quantiles = ground.quantiles if ground is not None else np.zeros((1, 1))
    cent = np.zeros((k, dims))
    u = rng.random(k)
    cum = np.cumsum(w)
    cent[0] = _as_centroid(metric, X[min(int(np.searchsorted(cum, u[0] * cum[-1])), len(X) - 1)], dims)
    best = np.full(len(X), np.inf)
    for c in range(1, k):
        _seed_distances(metric, X, cent, c - 1, quantiles, best)
        acc = np.cumsum(best * w)
        pick = (c * 7919) % len(X) if acc[-1] <= 0 else min(int(np.searchsorted(acc, u[c] * acc[-1])), len(X) - 1)
        cent[c] = _as_centroid(metric, X[pick], dims)
        if progress:
            progress(c, k)
    return cent


@dataclass
class LloydState:
    """Where a Lloyd run stands (what a build checkpoint saves); ``serial_s``: seconds spent in its
    single-threaded centroid updates."""

    centroids: np.ndarray
    iteration: int
    labels: np.ndarray
    serial_s: float = 0.0


def centroid_means(metric: int, cent: np.ndarray, ground: Ground | None) -> tuple[np.ndarray, np.ndarray]:
    """Per centroid, its embedding (``gs``: mean quantile function; else itself) and that embedding's mean."""
    emb = cent @ ground.quantiles if metric == GS else cent
    return np.ascontiguousarray(emb), emb.mean(axis=1)


def nearest(metric: int, X: np.ndarray, cent: np.ndarray, ground: Ground | None) -> tuple[np.ndarray, np.ndarray]:
    """Labels and distances of rows of ``X`` to the centroids."""
    emb, means = centroid_means(metric, cent, ground)
    by_mean = np.argsort(means, kind="stable").astype(np.int64)
    g = ground if ground is not None else Ground(np.zeros((1, 1)), np.zeros((1, 1), np.int32), np.zeros((1, 1)))
    labels = np.empty(len(X), dtype=np.int64)
    dist = np.empty(len(X), dtype=np.float64)
    sorted_means = np.ascontiguousarray(means[by_mean])
    if metric == GS:
        assign_gs(X, cent, emb, g.quantiles, g.order, g.sorted_dist, labels, dist)
    else:
        assign_vectors(metric, X, cent, by_mean, sorted_means, labels, dist)
    return labels, dist


def lloyd(metric: int, X: np.ndarray, w: np.ndarray, state: LloydState, iterations: int, ground: Ground | None,
          progress: Callable[[int, int], None] | None = None,
          checkpoint: Callable[[LloydState], None] | None = None, checkpoint_s: float = 30.0) -> LloydState:
    """Lloyd iterations from ``state`` until labels stop changing or ``iterations`` are done."""
    cent = state.centroids.copy()
    prev = state.labels
    last = time.monotonic()
    it = state.iteration
    serial = 0.0
    while it < iterations:
        labels, dist = nearest(metric, X, cent, ground)
        it += 1
        if progress:
            progress(it, iterations)
        if len(prev) == len(labels) and np.array_equal(prev, labels):
            break
        prev = labels
        t0 = time.perf_counter()
        if metric == L1:
            mass = _update_median(X, w, labels, cent)
        else:
            mass = _update_mean(metric, X, w, labels, cent)
        serial += time.perf_counter() - t0
        empty = np.flatnonzero(mass <= 0)
        if len(empty):
            far = np.argsort(-dist, kind="stable")[: len(empty)]
            dims = cent.shape[1]
            for c, i in zip(empty, far):
                cent[c] = _as_centroid(metric, X[i], dims)
        if checkpoint and time.monotonic() - last >= checkpoint_s:
            checkpoint(LloydState(cent.copy(), it, prev))
            last = time.monotonic()
    return LloydState(cent, it, prev, serial)


def order_weak_to_strong(metric: int, cent: np.ndarray, ground: Ground | None,
                         weights: np.ndarray | None = None) -> np.ndarray:
    """Centroids sorted by the (``weights``-weighted) mean of their embedding (bucket 0 = weakest)."""
    emb, means = centroid_means(metric, cent, ground)
    if weights is not None:
        means = emb @ (weights / weights.sum())
    return np.ascontiguousarray(cent[np.argsort(means, kind="stable")])


def within_over_total(metric: int, X: np.ndarray, w: np.ndarray, cent: np.ndarray, ground: Ground | None) -> float:
    """Weighted mean distance to the nearest centroid over that to the single best centroid (a quality figure)."""
    _, dist = nearest(metric, X, cent, ground)
    if metric == L1:
        whole = np.median(X, axis=0)[None, :].astype(np.float64)
    elif metric == L2:
        whole = np.average(X, axis=0, weights=w)[None, :].astype(np.float64)
    else:
        whole = np.bincount(X.ravel().astype(np.int64), minlength=len(ground.quantiles))[None, :] / X.size
    _, one = nearest(metric, X, whole, ground)
    total = float(np.dot(one, w))
    return float(np.dot(dist, w)) / total if total > 0 else 0.0
