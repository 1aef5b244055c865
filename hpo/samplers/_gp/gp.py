"""Gaussian-process regression: fitting the kernel parameters and the posterior with its gradient.

The kernel is ``k(x, x') = scale * matern52(sum_j w_j d_j(x, x'))`` with one inverse squared
lengthscale ``w_j`` per dimension, plus ``noise`` on the diagonal. The parameters maximize the log
marginal likelihood plus log priors (Optuna's choice: ``-(0.1 / w + 0.1 w)`` per dimension,
Gamma(2, 1) on the scale, Gamma(1.1, 30) on the noise), found by L-BFGS-B on their logarithms with
hand-written gradients.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from hpo.samplers._gp.blas import single_threaded_blas
from hpo.samplers._gp.kernel import matern52, squared_differences, weighted_sqdist

MINIMUM_NOISE = 1e-6
_JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4)


@dataclass(frozen=True)
class KernelParams:
    """Inverse squared lengthscales ``(dim,)``, kernel scale and noise variance."""

    inv_sq_lengthscales: np.ndarray
    scale: float
    noise: float

    @classmethod
    def default(cls, dim: int) -> KernelParams:
        return cls(np.ones(dim), 1.0, 1.0)


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K``, adding diagonal jitter when ``K`` is numerically not PD."""
    for jitter in _JITTERS:
        try:
            return scipy.linalg.cholesky(K + jitter * np.eye(len(K)), lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
    raise np.linalg.LinAlgError("The kernel matrix is not positive definite even with jitter.")


def _cho_inverse(L: np.ndarray) -> np.ndarray:
    """``(L L^T)^-1`` from the lower Cholesky factor ``L`` (whose upper triangle is zero)."""
    inv, info = scipy.linalg.lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dpotri failed with info={info}.")
    # dpotri fills the lower triangle and leaves the (zero) upper one as it was.
    full = inv + inv.T
    full[np.diag_indices_from(full)] = inv.diagonal()
    return full


class GPRegressor:
    """A GP conditioned on ``(X, y)`` with fixed kernel parameters."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: KernelParams, is_categorical: np.ndarray) -> None:
        self.X = X
        self.y = y
        self.params = params
        self.is_categorical = is_categorical
        K = self.kernel(X, X)
        K[np.diag_indices_from(K)] += params.noise
        L = _cholesky(K)
        self._alpha = scipy.linalg.cho_solve((L, True), y, check_finite=False)
        self._K_inv = _cho_inverse(L)

    @property
    def lengthscales(self) -> np.ndarray:
        return 1.0 / np.sqrt(self.params.inv_sq_lengthscales)

    def kernel(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        r2 = weighted_sqdist(X1, X2, self.params.inv_sq_lengthscales, self.is_categorical)
        return self.params.scale * matern52(r2)[0]

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray) -> GPRegressor:
        """The same GP with ``(X_new, y_new)`` added as observations (kernel parameters unchanged)."""
        X = np.vstack([self.X, X_new])
        return GPRegressor(X, np.concatenate([self.y, y_new]), self.params, self.is_categorical)

    def posterior(
        self, x: np.ndarray, with_grad: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Mean and variance at the rows of ``x`` and, with ``with_grad``, their gradients ``(n, dim)``.

        Gradients are zero along categorical dimensions, which are optimized by discrete search.
        """
        w, scale = self.params.inv_sq_lengthscales, self.params.scale
        r2 = weighted_sqdist(x, self.X, w, self.is_categorical)
        k, dk_dr2 = matern52(r2)
        k *= scale
        mean = k @ self._alpha
        beta = k @ self._K_inv
        var = np.maximum(scale - np.einsum("ij,ij->i", k, beta), 0.0)
        if not with_grad:
            return mean, var, None, None
        dk_dr2 *= scale
        # d k(x, X_i) / d x_j = dk_dr2 * 2 w_j (x_j - X_ij) for continuous j.
        G = dk_dr2 * self._alpha
        H = dk_dr2 * beta
        two_w = np.where(self.is_categorical, 0.0, 2.0 * w)
        mean_grad = two_w * (x * G.sum(1, keepdims=True) - G @ self.X)
        var_grad = -2.0 * two_w * (x * H.sum(1, keepdims=True) - H @ self.X)
        return mean, var, mean_grad, var_grad


def _neg_log_posterior(
    raw: np.ndarray, D: np.ndarray, y: np.ndarray, deterministic: bool
) -> tuple[float, np.ndarray]:
    """Negative (log marginal likelihood + log prior) of ``raw`` params and its gradient.

    ``raw = [log w (dim), log scale, log(noise - MINIMUM_NOISE)]``, the last absent when
    ``deterministic``. ``D`` holds the per-dimension squared differences, ``(n * n, dim)``.
    """
    n, dim = len(y), D.shape[1]
    w, scale = np.exp(raw[:dim]), np.exp(raw[dim])
    noise_raw = 0.0 if deterministic else np.exp(raw[dim + 1])
    noise = MINIMUM_NOISE + noise_raw
    m, dm = matern52((D @ w).reshape(n, n))
    K = scale * m
    K[np.diag_indices(n)] += noise
    L = _cholesky(K)
    alpha = scipy.linalg.cho_solve((L, True), y, check_finite=False)
    mll = -0.5 * y @ alpha - np.log(np.diag(L)).sum()
    # d mll / d theta = 0.5 tr((alpha alpha^T - K^-1) dK/dtheta)
    W = np.outer(alpha, alpha) - _cho_inverse(L)
    grad_w = 0.5 * w * (D.T @ (W * (scale * dm)).ravel())
    grad_scale = 0.5 * np.sum(W * (scale * m))
    log_prior = -np.sum(0.1 / w + 0.1 * w) + np.log(scale) - scale + 0.1 * np.log(noise) - 30.0 * noise
    grad_prior_w = 0.1 / w - 0.1 * w
    grad = np.concatenate([grad_w + grad_prior_w, [grad_scale + 1.0 - scale]])
    if not deterministic:
        grad_noise = (0.5 * np.trace(W) + 0.1 / noise - 30.0) * noise_raw
        grad = np.append(grad, grad_noise)
    return -(mll + log_prior), -grad


def fit_gp(
    X: np.ndarray,
    y: np.ndarray,
    is_categorical: np.ndarray,
    deterministic: bool,
    initial: KernelParams | None = None,
) -> GPRegressor:
    """A GP on ``(X, y)`` (``y`` standardized) with kernel parameters fitted from ``initial`` (or defaults)."""
    dim = X.shape[1]
    starts = [KernelParams.default(dim)] if initial is None else [initial, KernelParams.default(dim)]
    with single_threaded_blas():
        return _fit(X, y, is_categorical, deterministic, starts)


def _fit(
    X: np.ndarray, y: np.ndarray, is_categorical: np.ndarray, deterministic: bool, starts: list[KernelParams]
) -> GPRegressor:
    n, dim = X.shape
    D = squared_differences(X, X, is_categorical).reshape(n * n, dim)
    for start in starts:
        raw0 = np.concatenate([np.log(start.inv_sq_lengthscales), [np.log(start.scale)]])
        if not deterministic:
            raw0 = np.append(raw0, np.log(max(start.noise - 0.99 * MINIMUM_NOISE, 1e-3 * MINIMUM_NOISE)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = scipy.optimize.minimize(
                    _neg_log_posterior,
                    raw0,
                    args=(D, y, deterministic),
                    jac=True,
                    method="L-BFGS-B",
                    options={"gtol": 1e-2},
                )
        except np.linalg.LinAlgError:
            continue
        if np.all(np.isfinite(res.x)) and np.isfinite(res.fun):
            noise = MINIMUM_NOISE + (0.0 if deterministic else float(np.exp(res.x[dim + 1])))
            params = KernelParams(np.exp(res.x[:dim]), float(np.exp(res.x[dim])), noise)
            return GPRegressor(X, y, params, is_categorical)
    fallback = KernelParams.default(dim)
    if deterministic:
        fallback = KernelParams(fallback.inv_sq_lengthscales, fallback.scale, MINIMUM_NOISE)
    return GPRegressor(X, y, fallback, is_categorical)
