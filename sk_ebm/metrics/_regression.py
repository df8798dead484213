"""Metrics and scorers of probabilistic regressors: CRPS, pinball loss, intervals."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real

import numpy as np
from scipy.special import ndtr
from sklearn.metrics import mean_pinball_loss
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array

__all__ = [
    "crps",
    "crps_scorer",
    "gaussian_crps",
    "interval_coverage",
    "log_likelihood_scorer",
    "make_crps_scorer",
    "make_interval_scorer",
    "make_pinball_scorer",
    "mean_interval_width",
    "pinball_loss",
]

# Absolute tolerance on the values of a CDF: values in [-tol, 1 + tol] and
# decreases of at most tol between neighbouring grid points are taken as
# rounding errors (a CDF computed in float32 is off by ~1e-7).
_CDF_ATOL = 1e-6

# Elements of ``cdf`` processed at once by :func:`crps`: the rows are taken in
# blocks so that its temporaries stay a few MiB whatever the size of ``cdf``.
_CHUNK_ELEMENTS = 2**18

_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _check_1d(x, input_name):
    """Validate a 1-D, non-empty, finite, numeric array; return it as float64."""
    if np.ndim(x) != 1:
        raise ValueError(
            f"{input_name} must be a 1-D array, got an array of shape {np.shape(x)}."
        )
    if np.shape(x)[0] == 0:
        raise ValueError(f"{input_name} is empty; at least one value is required.")
    x = check_array(
        x,
        dtype="numeric",
        ensure_2d=False,
        ensure_all_finite=True,
        ensure_min_samples=1,
        input_name=input_name,
    )
    return x.astype(np.float64, copy=False)


def _check_2d(x, input_name, n_samples, shape_doc, dtype=np.float64):
    """Validate a 2-D, finite array with ``n_samples`` rows."""
    if np.ndim(x) != 2:
        raise ValueError(
            f"{input_name} must be a 2-D array of shape {shape_doc}, got an array "
            f"of shape {np.shape(x)}."
        )
    if 0 in np.shape(x):
        raise ValueError(
            f"{input_name} is empty (shape {np.shape(x)}); it must have shape "
            f"{shape_doc} with at least one row and one column."
        )
    x = check_array(
        x,
        dtype=dtype,
        ensure_all_finite=True,
        ensure_min_samples=1,
        ensure_min_features=1,
        input_name=input_name,
    )
    if x.shape[0] != n_samples:
        raise ValueError(
            f"{input_name} has {x.shape[0]} rows but y_true has {n_samples} "
            f"entries; {input_name} must have shape {shape_doc}."
        )
    return x


def _check_quantiles(quantiles):
    """Validate 1-D, non-empty quantile levels in the open interval (0, 1)."""
    quantiles = _check_1d(quantiles, "quantiles")
    outside = (quantiles <= 0) | (quantiles >= 1)
    if outside.any():
        raise ValueError(
            "quantiles must lie in the open interval (0, 1), got "
            f"{quantiles[outside].tolist()!r}."
        )
    return quantiles


def _check_intervals(intervals, n_samples=None):
    """Validate intervals of shape (n_samples, 2) with lower <= upper."""
    if np.ndim(intervals) != 2 or np.shape(intervals)[1] != 2:
        raise ValueError(
            "intervals must be a 2-D array of shape (n_samples, 2) holding the "
            f"lower and upper bounds, got an array of shape {np.shape(intervals)}."
        )
    if np.shape(intervals)[0] == 0:
        raise ValueError("intervals is empty; at least one interval is required.")
    intervals = check_array(
        intervals,
        dtype=np.float64,
        ensure_all_finite=True,
        ensure_min_samples=1,
        input_name="intervals",
    )
    if n_samples is not None and intervals.shape[0] != n_samples:
        raise ValueError(
            f"intervals has {intervals.shape[0]} rows but y_true has {n_samples} "
            "entries."
        )
    crossed = np.flatnonzero(intervals[:, 0] > intervals[:, 1])
    if crossed.shape[0]:
        row = int(crossed[0])
        raise ValueError(
            "The lower bound of an interval must not exceed its upper bound; "
            f"{crossed.shape[0]} rows have lower > upper, e.g. row {row}: "
            f"{intervals[row].tolist()!r}."
        )
    return intervals


def _check_increasing(grid, offset=0):
    """Raise unless every row of ``grid`` (1-D or 2-D) is strictly increasing."""
    steps = np.diff(grid, axis=-1)
    if steps.size and steps.min() <= 0:
        if grid.ndim == 1:
            col = int(np.flatnonzero(steps <= 0)[0])
            where = f"grid[{col + 1}] = {float(grid[col + 1])!r} <= grid[{col}] = "
            where += f"{float(grid[col])!r}"
        else:
            row, col = np.argwhere(steps <= 0)[0]
            where = f"in row {row + offset}, grid[{col + 1}] = "
            where += f"{float(grid[row, col + 1])!r} <= grid[{col}] = "
            where += f"{float(grid[row, col])!r}"
        raise ValueError(f"grid must be strictly increasing; {where}.")


def _check_cdf_increasing(cdf, offset):
    """Raise if a row of ``cdf`` decreases by more than rounding errors."""
    steps = np.diff(cdf, axis=1)
    if steps.size and steps.min() < -_CDF_ATOL:
        row, col = np.unravel_index(np.argmin(steps), steps.shape)
        raise ValueError(
            "cdf must be non-decreasing along each row (a CDF on an increasing "
            f"grid); row {row + offset} decreases by {-steps[row, col]:.6g} from "
            f"column {col} to column {col + 1}."
        )


def _crps_block(y, grid, cdf):
    """CRPS of a block of rows; see :func:`crps` for the conventions.

    ``y`` has shape (m,), ``grid`` (K,) or (m, K) and ``cdf`` (m, K), float64,
    with the CDF clipped to [0, 1].
    """
    m, n_grid = cdf.shape
    g = np.broadcast_to(grid, cdf.shape)
    rows = np.arange(m)
    # Outside the grid F is 0 below grid[0] and 1 above grid[-1]: only the
    # stretch between y and the grid, where F and the step 1{z >= y} differ
    # by 1, contributes.
    total = np.maximum(g[:, 0] - y, 0.0) + np.maximum(y - g[:, -1], 0.0)
    if n_grid == 1:
        return total

    # Interval k is [g_k, g_k+1], on which F goes linearly from a to b. On an
    # interval left of y the integrand is F^2, right of y it is (1 - F)^2; the
    # integral of the square of a linear function going from u to v over a
    # width h is h (u^2 + u v + v^2) / 3.
    a = cdf[:, :-1]
    b = cdf[:, 1:]
    right_of_y = g[:, :-1] >= y[:, None]
    u = np.where(right_of_y, 1.0 - a, a)
    v = np.where(right_of_y, 1.0 - b, b)
    # per_interval = h * (u * u + u * v + v * v) / 3, with few temporaries.
    per_interval = u * u
    u *= v
    per_interval += u
    v *= v
    per_interval += v
    del u, v
    per_interval *= np.diff(grid, axis=-1) / 3.0

    # The interval that contains y (g_k < y <= g_k+1) is split at y: F^2 from
    # g_k to y, (1 - F)^2 from y to g_k+1, with F(y) = c by linear
    # interpolation.
    k = n_grid - 2 - np.count_nonzero(right_of_y, axis=1)
    split = (k >= 0) & (y <= g[:, -1])
    if split.any():
        r, k = rows[split], k[split]
        g0, g1 = g[r, k], g[r, k + 1]
        a0, b0 = cdf[r, k], cdf[r, k + 1]
        t = (y[split] - g0) / (g1 - g0)
        c = a0 + t * (b0 - a0)
        left = t * (a0 * a0 + a0 * c + c * c)
        right = (1.0 - t) * ((1.0 - c) ** 2 + (1.0 - c) * (1.0 - b0) + (1.0 - b0) ** 2)
        per_interval[r, k] = (g1 - g0) * (left + right) / 3.0
    return total + per_interval.sum(axis=1)


@validate_params(
    {"y_true": ["array-like"], "grid": ["array-like"], "cdf": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def crps(y_true, grid, cdf):
    """Continuous ranked probability score of predictive CDFs given on a grid.

    The CRPS of a predictive distribution with CDF ``F`` at the observation
    ``y`` is the squared distance between ``F`` and the CDF of a point mass at
    ``y`` (Gneiting and Raftery, 2007)::

        CRPS(F, y) = integral over z of (F(z) - 1{z >= y})^2 dz

    It is a proper scoring rule in the units of ``y``: it is minimised in
    expectation by the true distribution of ``y``, and for a point mass at
    ``m`` it is ``|y - m|``, the absolute error. Lower is better.

    The integral is exact for the CDF that is linear between the grid points
    and takes the given values there, with the step of the point mass placed
    exactly at ``y`` (the grid interval that contains ``y`` is split there).
    Below ``grid[0]`` the CDF is taken as 0 and above ``grid[-1]`` as 1, so
    an observation outside the grid adds its distance to the grid: the CDF
    should be close to 0 at ``grid[0]`` and to 1 at ``grid[-1]``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed values.

    grid : array-like of shape (n_grid,) or (n_samples, n_grid)
        Strictly increasing points at which the CDFs are given: one grid
        shared by all rows, or one grid per row.

    cdf : array-like of shape (n_samples, n_grid)
        Predictive CDF of each row at its grid points,
        ``cdf[i, k] = F_i(grid[k])`` (or ``F_i(grid[i, k])``): values in
        ``[0, 1]``, non-decreasing along each row. Rounding errors up to
        ``1e-6`` are tolerated (and values clipped to ``[0, 1]``).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        The CRPS of each row, in the units of ``y_true``; lower is better.
        Use ``scores.mean()`` for the average over the rows.

    See Also
    --------
    gaussian_crps : Closed-form CRPS of a normal predictive distribution.
    make_crps_scorer : Negated mean CRPS as a model-selection scorer.
    pinball_loss : Quantile loss, the CRPS restricted to a few quantiles.

    Notes
    -----
    The rows are processed in blocks with vectorised numpy operations, so
    the temporary memory stays small even for a large ``cdf``; a float32
    ``cdf`` is converted block by block.

    References
    ----------
    .. [1] T. Gneiting and A. E. Raftery, "Strictly Proper Scoring Rules,
       Prediction, and Estimation", Journal of the American Statistical
       Association, 102(477), 359-378, 2007.

    Examples
    --------
    A uniform distribution on ``[0, 1]``, whose CDF is linear on the grid
    ``[0, 1]``, at observations in its middle, at its edge and beyond it:

    >>> import numpy as np
    >>> from sk_ebm.metrics import crps
    >>> y_true = np.array([0.5, 0.0, 2.0])
    >>> grid = np.array([0.0, 1.0])
    >>> cdf = np.array([[0.0, 1.0]] * 3)
    >>> crps(y_true, grid, cdf)
    array([0.08333333, 0.33333333, 1.33333333])

    A point mass at 1: the CDF jumps from 0 (below the grid) to 1 at
    ``grid[0] = 1``, and the CRPS is the absolute error:

    >>> crps(y_true, [1.0, 2.0], [[1.0, 1.0]] * 3)
    array([0.5, 1. , 1. ])
    """
    y_true = _check_1d(y_true, "y_true")
    n_samples = y_true.shape[0]
    cdf = _check_2d(
        cdf, "cdf", n_samples, "(n_samples, n_grid)", dtype=[np.float64, np.float32]
    )
    n_grid = cdf.shape[1]
    if np.ndim(grid) == 1:
        grid = _check_1d(grid, "grid")
        if grid.shape[0] != n_grid:
            raise ValueError(
                f"grid has {grid.shape[0]} points but cdf has {n_grid} columns; "
                "cdf[:, k] must be the CDF at grid[k]."
            )
        _check_increasing(grid)
    elif np.ndim(grid) == 2:
        grid = _check_2d(grid, "grid", n_samples, "(n_samples, n_grid)")
        if grid.shape[1] != n_grid:
            raise ValueError(
                f"grid has {grid.shape[1]} columns but cdf has {n_grid}; "
                "cdf[i, k] must be the CDF of row i at grid[i, k]."
            )
    else:
        raise ValueError(
            "grid must be a 1-D array of shape (n_grid,) or a 2-D array of shape "
            f"(n_samples, n_grid), got an array of shape {np.shape(grid)}."
        )
    low, high = cdf.min(), cdf.max()
    if low < -_CDF_ATOL or high > 1.0 + _CDF_ATOL:
        raise ValueError(
            f"cdf contains values outside [0, 1]: min={float(low)!r}, "
            f"max={float(high)!r}."
        )

    scores = np.empty(n_samples)
    block = max(1, _CHUNK_ELEMENTS // n_grid)
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        block_grid = grid if grid.ndim == 1 else grid[start:stop]
        if grid.ndim == 2:
            _check_increasing(block_grid, offset=start)
        block_cdf = cdf[start:stop].astype(np.float64)
        _check_cdf_increasing(block_cdf, offset=start)
        np.clip(block_cdf, 0.0, 1.0, out=block_cdf)
        scores[start:stop] = _crps_block(y_true[start:stop], block_grid, block_cdf)
    return scores


def _check_location_scale(x, input_name, n_samples):
    """Validate a float or a 1-D array of ``n_samples`` finite values."""
    if np.ndim(x) == 0:
        x = check_array(
            np.reshape(x, (1,)),
            dtype="numeric",
            ensure_2d=False,
            ensure_all_finite=True,
            input_name=input_name,
        )
        return np.full(n_samples, float(x[0]))
    x = _check_1d(x, input_name)
    if x.shape[0] != n_samples:
        raise ValueError(
            f"{input_name} has {x.shape[0]} entries but y_true has {n_samples}."
        )
    return x


@validate_params(
    {
        "y_true": ["array-like"],
        "mean": ["array-like", Real],
        "std": ["array-like", Real],
    },
    prefer_skip_nested_validation=True,
)
def gaussian_crps(y_true, mean, std):
    """Closed-form continuous ranked probability score of normal predictions.

    For the predictive distribution ``N(mean, std**2)`` and the observation
    ``y`` (Gneiting and Raftery, 2007)::

        CRPS = std * (z * (2 * Phi(z) - 1) + 2 * phi(z) - 1 / sqrt(pi))

    where ``z = (y - mean) / std`` and ``Phi`` and ``phi`` are the standard
    normal CDF and density. Lower is better; see :func:`crps` for the
    definition and for any other predictive distribution.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed values.

    mean : array-like of shape (n_samples,) or float
        Mean of the predictive distribution of each row, or one mean for all.

    std : array-like of shape (n_samples,) or float
        Standard deviation of the predictive distribution of each row, or one
        for all; strictly positive.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        The CRPS of each row, in the units of ``y_true``.

    See Also
    --------
    crps : CRPS of any predictive CDF given on a grid.

    References
    ----------
    .. [1] T. Gneiting and A. E. Raftery, "Strictly Proper Scoring Rules,
       Prediction, and Estimation", Journal of the American Statistical
       Association, 102(477), 359-378, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.metrics import gaussian_crps
    >>> gaussian_crps([0.0, 1.0, 0.0], mean=0.0, std=[1.0, 1.0, 2.0])
    array([0.23369498, 0.60244136, 0.46738995])

    The CRPS scales with the units of ``y``: it is ``std`` times that of the
    standard normal at ``z``.
    """
    y_true = _check_1d(y_true, "y_true")
    n_samples = y_true.shape[0]
    mean = _check_location_scale(mean, "mean", n_samples)
    std = _check_location_scale(std, "std", n_samples)
    if np.any(std <= 0):
        raise ValueError(f"std must be strictly positive, got min(std)={std.min()!r}.")
    z = (y_true - mean) / std
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return std * (z * (2.0 * ndtr(z) - 1.0) + 2.0 * pdf - _INV_SQRT_PI)


@validate_params(
    {"y_true": ["array-like"], "intervals": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def interval_coverage(y_true, intervals):
    """Fraction of observations inside their prediction interval.

    Row ``i`` is covered when ``intervals[i, 0] <= y_true[i] <=
    intervals[i, 1]`` (closed intervals). For intervals predicted at a
    nominal coverage, e.g. 0.9, a calibrated model covers about that fraction
    of the rows.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed values.

    intervals : array-like of shape (n_samples, 2)
        Lower and upper bound of the prediction interval of each row, with
        lower <= upper.

    Returns
    -------
    coverage : float
        The fraction of covered rows, in ``[0, 1]``.

    See Also
    --------
    mean_interval_width : The other side of the trade-off: sharpness.
    make_interval_scorer : Distance to a nominal coverage as a scorer.

    Examples
    --------
    >>> from sk_ebm.metrics import interval_coverage
    >>> interval_coverage([0.5, 2.0, 1.0, -1.0], [[0, 1], [0, 1], [1, 3], [0, 2]])
    0.5
    """
    y_true = _check_1d(y_true, "y_true")
    intervals = _check_intervals(intervals, y_true.shape[0])
    covered = (intervals[:, 0] <= y_true) & (y_true <= intervals[:, 1])
    return float(np.mean(covered))


@validate_params({"intervals": ["array-like"]}, prefer_skip_nested_validation=True)
def mean_interval_width(intervals):
    """Mean width of prediction intervals.

    The mean of ``intervals[:, 1] - intervals[:, 0]``, in the units of the
    target: at a given coverage, narrower (sharper) intervals are better.

    Parameters
    ----------
    intervals : array-like of shape (n_samples, 2)
        Lower and upper bound of the prediction interval of each row, with
        lower <= upper.

    Returns
    -------
    width : float
        The mean width of the intervals.

    See Also
    --------
    interval_coverage : Fraction of observations inside their interval.

    Examples
    --------
    >>> from sk_ebm.metrics import mean_interval_width
    >>> mean_interval_width([[0.0, 1.0], [-1.0, 2.0]])
    2.0
    """
    intervals = _check_intervals(intervals)
    return float(np.mean(intervals[:, 1] - intervals[:, 0]))


@validate_params(
    {
        "y_true": ["array-like"],
        "quantile_predictions": ["array-like"],
        "quantiles": ["array-like"],
    },
    prefer_skip_nested_validation=True,
)
def pinball_loss(y_true, quantile_predictions, quantiles):
    """Pinball (quantile) loss averaged over several quantile levels.

    The mean over ``j`` of scikit-learn's
    ``mean_pinball_loss(y_true, quantile_predictions[:, j],
    alpha=quantiles[j])``, the loss minimised in expectation by the true
    ``quantiles[j]`` quantile of ``y`` given the features. For the level 0.5
    it is half the mean absolute error. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed values.

    quantile_predictions : array-like of shape (n_samples, n_quantiles)
        Predicted quantiles: column ``j`` holds the ``quantiles[j]`` quantile
        of each row.

    quantiles : array-like of shape (n_quantiles,)
        Quantile levels of the columns of ``quantile_predictions``, in the
        open interval ``(0, 1)``.

    Returns
    -------
    loss : float
        The pinball loss, averaged over the rows and the quantile levels.

    See Also
    --------
    sklearn.metrics.mean_pinball_loss : The loss of a single quantile level.
    make_pinball_scorer : Negated pinball loss as a model-selection scorer.

    Examples
    --------
    >>> from sk_ebm.metrics import pinball_loss
    >>> y_true = [1.0, 2.0, 3.0]
    >>> quantile_predictions = [[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]]
    >>> pinball_loss(y_true, quantile_predictions, quantiles=[0.1, 0.5])
    0.21666...

    that is, the mean of 0.1 (level 0.1: ``0.1 * 1`` on every row) and 1/3
    (level 0.5: half the mean absolute error of the constant 2).
    """
    y_true = _check_1d(y_true, "y_true")
    quantiles = _check_quantiles(quantiles)
    quantile_predictions = _check_2d(
        quantile_predictions,
        "quantile_predictions",
        y_true.shape[0],
        "(n_samples, n_quantiles)",
    )
    if quantile_predictions.shape[1] != quantiles.shape[0]:
        raise ValueError(
            f"quantile_predictions has {quantile_predictions.shape[1]} columns but "
            f"{quantiles.shape[0]} quantiles were given; column j must hold the "
            "quantiles[j] quantile."
        )
    losses = [
        mean_pinball_loss(y_true, quantile_predictions[:, j], alpha=float(alpha))
        for j, alpha in enumerate(quantiles)
    ]
    return float(np.mean(losses))


# --------------------------------------------------------------------------
# Scorers


def _require(estimator, name, scorer, what="method"):
    """Raise a clear AttributeError if ``estimator`` lacks ``name``."""
    if not hasattr(estimator, name):
        raise AttributeError(
            f"{type(estimator).__name__} has no {name} {what}, which {scorer} "
            "needs (a fitted probabilistic regressor such as "
            "sk_ebm.EnergyRegressor)."
        )


def log_likelihood_scorer(estimator, X, y):
    """Score a probabilistic regressor by its mean log-likelihood.

    A scorer for scikit-learn's model selection tools (``scoring=`` of
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`): the mean over the rows
    of ``estimator.log_likelihood(X, y)``, the log density of ``y`` given
    ``X`` in the units of ``y``. Greater is better; it is a strictly proper
    scoring rule, but a single row with a very low density weighs heavily.

    Parameters
    ----------
    estimator : object
        Fitted regressor with a ``log_likelihood(X, y)`` method returning the
        log-likelihood of each row, an array of shape (n_samples,).

    X : array-like of shape (n_samples, n_features)
        Features of the validation rows.

    y : array-like of shape (n_samples,)
        Targets of the validation rows.

    Returns
    -------
    score : float
        The mean log-likelihood; ``-inf`` if a row lies outside the support
        of its predictive distribution.

    See Also
    --------
    make_crps_scorer : A proper score less sensitive to outlying rows.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.metrics import log_likelihood_scorer
    >>> class StandardNormal:
    ...     '''A fitted toy regressor: y given X is N(0, 1).'''
    ...     def log_likelihood(self, X, y):
    ...         return norm.logpdf(y)
    >>> X, y = np.zeros((2, 1)), np.array([0.0, 1.0])
    >>> round(log_likelihood_scorer(StandardNormal(), X, y), 6)
    -1.168939
    """
    _require(estimator, "log_likelihood", "log_likelihood_scorer")
    y = _check_1d(y, "y")
    log_likelihood = np.asarray(estimator.log_likelihood(X, y), dtype=np.float64)
    if log_likelihood.shape != y.shape:
        raise ValueError(
            "estimator.log_likelihood(X, y) must return an array of shape "
            f"{y.shape}, got shape {log_likelihood.shape}."
        )
    if np.isnan(log_likelihood).any():
        raise ValueError("estimator.log_likelihood(X, y) returned NaN.")
    return float(np.mean(log_likelihood))


class _CRPSScorer:
    """Negated mean CRPS of ``predict_cdf`` on a grid; see make_crps_scorer.

    A class rather than a closure so that it pickles, as parallel model
    selection requires.
    """

    def __init__(self, n_grid):
        self.n_grid = n_grid

    def __call__(self, estimator, X, y):
        """Score ``estimator`` on the validation rows ``X``, ``y``."""
        _require(estimator, "predict_cdf", "the CRPS scorer")
        _require(estimator, "y_range_", "the CRPS scorer", what="attribute")
        y = _check_1d(y, "y")
        low, high = (float(bound) for bound in estimator.y_range_)
        grid = np.linspace(min(low, y.min()), max(high, y.max()), self.n_grid)
        cdf = estimator.predict_cdf(X, grid)
        return 0.0 - float(crps(y, grid, cdf).mean())

    def __repr__(self):
        return f"make_crps_scorer(n_grid={self.n_grid!r})"


@validate_params(
    {"n_grid": [Interval(Integral, 2, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def make_crps_scorer(n_grid=1024):
    """Make a scorer from the continuous ranked probability score.

    The scorer evaluates the estimator's conditional CDF,
    ``estimator.predict_cdf(X, grid)``, on ``n_grid`` evenly spaced points
    and returns the *negated* mean :func:`crps`, so that greater is better
    as scikit-learn's model selection tools expect. The grid spans
    ``estimator.y_range_`` (the range of ``y`` the fitted regressor's
    distribution covers), widened to contain the validation targets.

    Parameters
    ----------
    n_grid : int, default=1024
        Number of grid points. The CRPS of a smooth CDF is exact up to
        ``O(1 / n_grid**2)``.

    Returns
    -------
    scorer : callable
        Picklable callable ``scorer(estimator, X, y)`` returning
        ``-crps(y, grid, estimator.predict_cdf(X, grid)).mean()``.

    See Also
    --------
    crps : The metric behind the scorer.
    log_likelihood_scorer : Mean log-likelihood scorer.

    Notes
    -----
    ``sk_ebm.metrics.crps_scorer`` is ``make_crps_scorer()``. The estimator
    must have a ``predict_cdf(X, y_values)`` method returning an array of
    shape ``(n_samples, len(y_values))`` and a fitted ``y_range_``
    attribute, a pair of floats, as :class:`sk_ebm.EnergyRegressor` has.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.metrics import gaussian_crps, make_crps_scorer
    >>> class StandardNormal:
    ...     '''A fitted toy regressor: y given X is N(0, 1).'''
    ...     y_range_ = (-8.0, 8.0)
    ...     def predict_cdf(self, X, y_values):
    ...         return np.tile(norm.cdf(y_values), (len(X), 1))
    >>> scorer = make_crps_scorer(n_grid=2048)
    >>> scorer
    make_crps_scorer(n_grid=2048)
    >>> X, y = np.zeros((3, 1)), np.array([-1.0, 0.0, 2.0])
    >>> round(scorer(StandardNormal(), X, y), 4)
    -0.763
    >>> round(float(-gaussian_crps(y, 0.0, 1.0).mean()), 4)
    -0.763
    """
    return _CRPSScorer(n_grid)


crps_scorer = make_crps_scorer()


class _PinballScorer:
    """Negated pinball loss of ``predict_quantiles``; see make_pinball_scorer."""

    def __init__(self, quantiles):
        self.quantiles = quantiles

    def __call__(self, estimator, X, y):
        """Score ``estimator`` on the validation rows ``X``, ``y``."""
        _require(estimator, "predict_quantiles", "the pinball scorer")
        quantiles = np.asarray(self.quantiles, dtype=np.float64)
        predictions = estimator.predict_quantiles(X, quantiles=quantiles)
        return 0.0 - pinball_loss(y, predictions, quantiles)

    def __repr__(self):
        return f"make_pinball_scorer(quantiles={self.quantiles!r})"


@validate_params({"quantiles": ["array-like"]}, prefer_skip_nested_validation=True)
def make_pinball_scorer(quantiles=(0.05, 0.5, 0.95)):
    """Make a scorer from the pinball loss of predicted quantiles.

    The scorer calls ``estimator.predict_quantiles(X, quantiles=quantiles)``
    and returns the *negated* :func:`pinball_loss`, so that greater is
    better as scikit-learn's model selection tools expect.

    Parameters
    ----------
    quantiles : array-like of shape (n_quantiles,), default=(0.05, 0.5, 0.95)
        Quantile levels to predict and score, in the open interval
        ``(0, 1)``.

    Returns
    -------
    scorer : callable
        Picklable callable ``scorer(estimator, X, y)`` returning
        ``-pinball_loss(y, estimator.predict_quantiles(X, quantiles=quantiles),
        quantiles)``.

    See Also
    --------
    pinball_loss : The metric behind the scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.metrics import make_pinball_scorer, pinball_loss
    >>> class StandardNormal:
    ...     '''A fitted toy regressor: y given X is N(0, 1).'''
    ...     def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95)):
    ...         return np.tile(norm.ppf(quantiles), (len(X), 1))
    >>> scorer = make_pinball_scorer(quantiles=[0.1, 0.5, 0.9])
    >>> scorer
    make_pinball_scorer(quantiles=(0.1, 0.5, 0.9))
    >>> X, y = np.zeros((2, 1)), np.array([-1.0, 1.0])
    >>> round(scorer(StandardNormal(), X, y), 4)
    -0.2521
    """
    return _PinballScorer(tuple(_check_quantiles(quantiles).tolist()))


class _IntervalScorer:
    """Negated coverage error of ``predict_interval``; see make_interval_scorer."""

    def __init__(self, coverage):
        self.coverage = coverage

    def __call__(self, estimator, X, y):
        """Score ``estimator`` on the validation rows ``X``, ``y``."""
        _require(estimator, "predict_interval", "the interval scorer")
        intervals = estimator.predict_interval(X, coverage=self.coverage)
        return 0.0 - abs(interval_coverage(y, intervals) - self.coverage)

    def __repr__(self):
        return f"make_interval_scorer(coverage={self.coverage!r})"


@validate_params(
    {"coverage": [Interval(Real, 0, 1, closed="neither")]},
    prefer_skip_nested_validation=True,
)
def make_interval_scorer(coverage=0.9):
    """Make a scorer from the coverage error of prediction intervals.

    The scorer calls ``estimator.predict_interval(X, coverage=coverage)`` and
    returns ``-abs(interval_coverage(y, intervals) - coverage)``: 0 when the
    intervals cover exactly the nominal fraction of the validation rows,
    negative otherwise, so that greater is better as scikit-learn's model
    selection tools expect.

    Parameters
    ----------
    coverage : float, default=0.9
        Nominal coverage of the intervals, in the open interval ``(0, 1)``.

    Returns
    -------
    scorer : callable
        Picklable callable ``scorer(estimator, X, y)`` returning
        ``-abs(interval_coverage(y, estimator.predict_interval(X,
        coverage=coverage)) - coverage)``.

    See Also
    --------
    interval_coverage : The coverage behind the scorer.
    mean_interval_width : The sharpness of the intervals.

    Notes
    -----
    Calibration alone does not make intervals useful: intervals that ignore
    the features can have the right coverage. Report
    :func:`mean_interval_width` too, or select on a proper score such as
    :func:`make_crps_scorer`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sk_ebm.metrics import make_interval_scorer
    >>> class StandardNormal:
    ...     '''A fitted toy regressor: y given X is N(0, 1).'''
    ...     def predict_interval(self, X, coverage=0.9):
    ...         half = norm.ppf(0.5 + coverage / 2)
    ...         return np.tile([-half, half], (len(X), 1))
    >>> scorer = make_interval_scorer(coverage=0.5)
    >>> scorer
    make_interval_scorer(coverage=0.5)
    >>> X, y = np.zeros((4, 1)), np.array([-2.0, -0.5, 0.1, 0.3])
    >>> scorer(StandardNormal(), X, y)
    -0.25
    """
    return _IntervalScorer(coverage)
