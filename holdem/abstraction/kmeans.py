"""Weighted k-means: exact 1-D Lloyd on a histogram, and Lloyd on integer feature rows (numba)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange


@dataclass
class Clustering:
    """Labels (int32, 0..k-1 ordered weak to strong), centroids and the within/total variance ratio."""

    labels: np.ndarray
    centroids: np.ndarray
    within: float
    total: float

    @property
    def k(self) -> int:
        return len(self.centroids)

    @property
    def ratio(self) -> float:
        return self.within / self.total if self.total > 0 else 0.0


def _lloyd_1d(x: np.ndarray, w: np.ndarray, cent: np.ndarray, iterations: int) -> np.ndarray:
    for _ in range(iterations):
        lab = np.searchsorted((cent[1:] + cent[:-1]) / 2, x)
        sw = np.bincount(lab, weights=w, minlength=len(cent))
        sx = np.bincount(lab, weights=w * x, minlength=len(cent))
        keep = sw > 0
        new = sx[keep] / sw[keep]
        if len(new) == len(cent) and np.allclose(new, cent, rtol=0, atol=1e-12):
            break
        cent = new
    for _ in range(len(cent)):
        sw = np.bincount(np.searchsorted((cent[1:] + cent[:-1]) / 2, x), weights=w, minlength=len(cent))
        if (sw > 0).all():
            break
        cent = cent[sw > 0]
    return cent


def kmeans_1d(weights: np.ndarray, k: int, iterations: int) -> Clustering:
    """Cluster levels ``v / (L - 1)`` with weights ``weights[v]``; ``labels[v]`` is monotone in v.

    Clusters emptied by Lloyd are replaced by splitting the cluster with the largest weighted error.
    """
    w = np.asarray(weights, dtype=np.float64)
    levels = len(w)
    x = np.arange(levels) / max(levels - 1, 1)
    total_w = w.sum()
    mean = (w * x).sum() / total_w
    total = (w * (x - mean) ** 2).sum() / total_w
    k = min(k, int((w > 0).sum()))
    cum = np.cumsum(w)
    qs = (np.arange(k) + 0.5) / k * total_w
    cent = np.unique(x[np.minimum(np.searchsorted(cum, qs), levels - 1)])
    rounds = max(iterations, 50)
    cent = _lloyd_1d(x, w, cent, rounds)
    for _ in range(2 * k):
        if len(cent) >= k:
            break
        lab = np.searchsorted((cent[1:] + cent[:-1]) / 2, x)
        sse = np.bincount(lab, weights=w * (x - cent[lab]) ** 2, minlength=len(cent))
        splittable = np.bincount(lab, weights=(w > 0).astype(float), minlength=len(cent)) >= 2
        if not splittable.any():
            break
        c = int(np.argmax(np.where(splittable, sse, -1.0)))
        member = (lab == c) & (w > 0)
        xs, ws = x[member], w[member]
        half = max(1, min(len(xs) - 1, int(np.searchsorted(np.cumsum(ws), ws.sum() / 2)) + 1))
        parts = [np.average(xs[:half], weights=ws[:half]), np.average(xs[half:], weights=ws[half:])]
        cent = _lloyd_1d(x, w, np.sort(np.concatenate([np.delete(cent, c), parts])), rounds)
    lab = np.searchsorted((cent[1:] + cent[:-1]) / 2, x)
    within = (w * (x - cent[lab]) ** 2).sum() / total_w
    return Clustering(lab.astype(np.int32), cent[:, None], float(within), float(total))


@njit(cache=True)
def _dist2(x: np.ndarray, c: np.ndarray) -> float:
    s = 0.0
    for j in range(x.shape[0]):
        t = x[j] - c[j]
        s += t * t
    return s


@njit(cache=True, parallel=True)
def _assign(X: np.ndarray, scale: float, C: np.ndarray, labels: np.ndarray, d2: np.ndarray) -> None:
    n, d = X.shape
    k = C.shape[0]
    for i in prange(n):
        x = np.empty(d, dtype=np.float64)
        for j in range(d):
            x[j] = X[i, j] * scale
        best = 0
        bd = np.inf
        for c in range(k):
            s = 0.0
            for j in range(d):
                t = x[j] - C[c, j]
                s += t * t
                if s >= bd:
                    break
            if s < bd:
                bd = s
                best = c
        labels[i] = best
        d2[i] = bd


@njit(cache=True)
def _update(X: np.ndarray, scale: float, w: np.ndarray, labels: np.ndarray, C: np.ndarray) -> int:
    k, d = C.shape
    sums = np.zeros((k, d))
    sw = np.zeros(k)
    for i in range(X.shape[0]):
        c = labels[i]
        sw[c] += w[i]
        for j in range(d):
            sums[c, j] += w[i] * X[i, j] * scale
    empty = 0
    for c in range(k):
        if sw[c] > 0:
            for j in range(d):
                C[c, j] = sums[c, j] / sw[c]
        else:
            empty += 1
    return empty


@njit(cache=True)
def _kmeanspp(X: np.ndarray, scale: float, w: np.ndarray, k: int, u: np.ndarray) -> np.ndarray:
    n, d = X.shape
    C = np.zeros((k, d))
    xs = X.astype(np.float64) * scale
    cw = np.cumsum(w)
    first = np.searchsorted(cw, u[0] * cw[-1])
    C[0] = xs[min(first, n - 1)]
    best = np.empty(n)
    for i in range(n):
        best[i] = _dist2(xs[i], C[0])
    for c in range(1, k):
        acc = np.cumsum(best * w)
        if acc[-1] <= 0:
            C[c] = xs[(c * 7919) % n]
        else:
            pick = min(np.searchsorted(acc, u[c] * acc[-1]), n - 1)
            C[c] = xs[pick]
        for i in range(n):
            dd = _dist2(xs[i], C[c])
            if dd < best[i]:
                best[i] = dd
    return C


@njit(cache=True, parallel=True)
def _moments(X: np.ndarray, scale: float, w: np.ndarray, d2: np.ndarray, mean: np.ndarray,
             out: np.ndarray) -> None:
    """Per thread: [sum w, sum w * d2, sum w * |x - mean|^2]."""
    for i in prange(X.shape[0]):
        tid = numba.get_thread_id()
        s = 0.0
        for j in range(X.shape[1]):
            t = X[i, j] * scale - mean[j]
            s += t * t
        out[tid, 0] += w[i]
        out[tid, 1] += w[i] * d2[i]
        out[tid, 2] += w[i] * s


@njit(cache=True, parallel=True)
def _weighted_sum(X: np.ndarray, scale: float, w: np.ndarray, out: np.ndarray) -> None:
    for i in prange(X.shape[0]):
        tid = numba.get_thread_id()
        out[tid, 0] += w[i]
        for j in range(X.shape[1]):
            out[tid, 1 + j] += w[i] * X[i, j] * scale


def kmeans(X: np.ndarray, scale: float, weights: np.ndarray, k: int, iterations: int, sample: int,
           seed: int, progress: Callable[[int, int], None] | None = None) -> Clustering:
    """Fit k centroids on a seeded sample of rows (k-means++ then Lloyd), then label every row.

    Rows are integer features times ``scale``; labels are ordered by the centroid's feature sum
    descending (for cumulative histograms of strength: weak to strong).
    """
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    m = min(n, sample)
    idx = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
    Xs = np.ascontiguousarray(X[idx])
    ws = weights[idx].astype(np.float64)
    k = min(k, m)
    C = _kmeanspp(Xs, scale, ws, k, rng.random(k))
    lab = np.empty(m, dtype=np.int32)
    d2 = np.empty(m)
    chunk = max(1, n // 50)
    steps = iterations + -(-n // chunk)
    prev = None
    for it in range(iterations):
        _assign(Xs, scale, C, lab, d2)
        if progress:
            progress(it + 1, steps)
        if prev is not None and np.array_equal(prev, lab):
            break
        prev = lab.copy()
        _update(Xs, scale, ws, lab, C)
    order = np.argsort(-C.sum(axis=1), kind="stable")
    C = np.ascontiguousarray(C[order])
    labels = np.empty(n, dtype=np.int32)
    dist = np.empty(n)
    for j, a in enumerate(range(0, n, chunk)):
        _assign(X[a : a + chunk], scale, C, labels[a : a + chunk], dist[a : a + chunk])
        if progress:
            progress(iterations + j + 1, steps)
    w = weights.astype(np.float64)
    used = np.bincount(labels, weights=w, minlength=k) > 0
    if not used.all():
        remap = np.cumsum(used) - 1
        labels = remap[labels].astype(np.int32)
        C = C[used]
    nt = numba.config.NUMBA_NUM_THREADS
    sums = np.zeros((nt, X.shape[1] + 1))
    _weighted_sum(X, scale, w, sums)
    sums = sums.sum(axis=0)
    mean = sums[1:] / sums[0]
    mom = np.zeros((nt, 3))
    _moments(X, scale, w, dist, mean, mom)
    mom = mom.sum(axis=0)
    return Clustering(labels, C, float(mom[1] / mom[0]), float(mom[2] / mom[0]))
