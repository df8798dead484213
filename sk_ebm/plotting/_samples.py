"""SampleGridDisplay: image samples of a model as one grid."""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array

from ._base import check_method, estimator_name, get_axes

__all__ = ["SampleGridDisplay"]


def _check_image_shape(image_shape, n_features):
    shape = tuple(int(s) for s in np.atleast_1d(image_shape))
    if len(shape) not in (2, 3) or int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels) "
            f"with {n_features} pixels in all (the samples' width), got "
            f"{image_shape!r}."
        )
    return shape


class SampleGridDisplay:
    """Image samples of a model, laid out as one grid.

    Each row of ``samples`` is reshaped to ``image_shape`` and the images
    are tiled, one pixel apart, ``n_cols`` to a grid row; with ``labels``
    (the class of each sample, as drawn per class from a classifier) each
    grid row holds one class, named on the left.

    Build it with :meth:`from_estimator` or :meth:`from_samples`.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features)
        The samples, one flattened image per row.
    image_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of an image.
    labels : ndarray of shape (n_samples,), default=None
        Class of each sample; samples of one class share a grid row.
    name : str, default=None
        Title of the axes.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the grid.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.
    mosaic_ : ndarray
        The tiled image drawn (NaN between images).
    image_ : matplotlib AxesImage
        The drawn image.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_ebm.plotting import SampleGridDisplay
    >>> images = np.arange(6 * 4, dtype=float).reshape(6, 4)
    >>> display = SampleGridDisplay.from_samples(
    ...     images, image_shape=(2, 2), labels=[0, 0, 0, 1, 1, 1]
    ... )
    >>> display.mosaic_.shape
    (5, 8)
    >>> [tick.get_text() for tick in display.ax_.get_yticklabels()]
    ['y = 0', 'y = 1']
    """

    def __init__(self, samples, image_shape, *, labels=None, name=None):
        self.samples = samples
        self.image_shape = image_shape
        self.labels = labels
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        n_cols=None,
        cmap="gray_r",
        vmin=None,
        vmax=None,
        classes_along="rows",
    ):
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        n_cols : int, default=None
            Images per grid row; None: the samples per class with
            ``labels``, else about the square root of their number.
        cmap : str, default="gray_r"
            Colour map of single-channel images.
        vmin : float, default=None
            Pixel value of the colour map's low end (values below are
            clipped); None uses the lowest pixel.
        vmax : float, default=None
            Pixel value of the colour map's high end; None uses the highest.
        classes_along : {"rows", "columns"}, default="rows"
            With ``labels``: one grid row per class, named on the left, or
            one grid column per class, named on top (for many classes with
            few samples each).

        Returns
        -------
        display : SampleGridDisplay
            This display, with its artists set.
        """
        self.ax_, self.figure_ = get_axes(ax, "SampleGridDisplay.plot")
        samples = np.asarray(self.samples, dtype=np.float64)
        shape = _check_image_shape(self.image_shape, samples.shape[1])
        if classes_along not in ("rows", "columns"):
            raise ValueError(
                f"classes_along must be 'rows' or 'columns', got {classes_along!r}."
            )
        rows = self._rows(samples, n_cols)
        height, width = shape[:2]
        n_rows, n_cols = len(rows), max(len(row) for row in rows)
        across = self.labels is not None and classes_along == "columns"
        if across:
            n_rows, n_cols = n_cols, n_rows
        mosaic = np.full(
            ((height + 1) * n_rows - 1, (width + 1) * n_cols - 1, *shape[2:]), np.nan
        )
        for i, row in enumerate(rows):
            for j, image in enumerate(row):
                r, c = (j, i) if across else (i, j)
                top, left = r * (height + 1), c * (width + 1)
                mosaic[top : top + height, left : left + width] = image.reshape(shape)
        if len(shape) == 3:
            low = np.nanmin(mosaic) if vmin is None else vmin
            high = np.nanmax(mosaic) if vmax is None else vmax
            # RGB images are drawn as given: scale them to [0, 1] first.
            mosaic = np.clip((mosaic - low) / max(high - low, 1e-12), 0, 1)
            mosaic = np.nan_to_num(mosaic, nan=1.0)
        self.mosaic_ = mosaic
        self.image_ = self.ax_.imshow(
            mosaic, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
        )
        self.ax_.set_xticks([])
        self.ax_.set_yticks([])
        if self.labels is not None:
            classes = list(dict.fromkeys(np.asarray(self.labels).tolist()))
            if across:
                # Columns are narrow: the class alone, "y" as the axis label.
                self.ax_.xaxis.tick_top()
                self.ax_.set_xticks(
                    [c * (width + 1) + (width - 1) / 2 for c in range(n_cols)],
                    [str(k) for k in classes],
                )
                self.ax_.set_xlabel("y")
                self.ax_.xaxis.set_label_position("top")
            else:
                self.ax_.set_yticks(
                    [r * (height + 1) + (height - 1) / 2 for r in range(n_rows)],
                    [f"y = {k}" for k in classes],
                )
            self.ax_.tick_params(left=False, top=False)
        for spine in self.ax_.spines.values():
            spine.set_visible(False)
        if self.name is not None:
            self.ax_.set_title(self.name)
        return self

    def _rows(self, samples, n_cols):
        """The samples of each grid row."""
        if self.labels is not None:
            labels = np.asarray(self.labels)
            if labels.shape != (len(samples),):
                raise ValueError(
                    f"labels must have one entry per sample ({len(samples)}), "
                    f"got shape {labels.shape}."
                )
            groups = [samples[labels == k] for k in dict.fromkeys(labels.tolist())]
            if n_cols is None:
                return groups
            return [g[i : i + n_cols] for g in groups for i in range(0, len(g), n_cols)]
        if n_cols is None:
            n_cols = int(np.ceil(np.sqrt(len(samples))))
        return [samples[i : i + n_cols] for i in range(0, len(samples), n_cols)]

    @classmethod
    def from_samples(
        cls,
        samples,
        *,
        image_shape,
        labels=None,
        name=None,
        ax=None,
        n_cols=None,
        cmap="gray_r",
        vmin=None,
        vmax=None,
        classes_along="rows",
    ):
        """Grid of given image samples.

        Parameters
        ----------
        samples : array-like of shape (n_samples, n_features)
            One flattened image per row.
        image_shape : tuple of int
            ``(height, width)`` or ``(height, width, channels)``.
        labels : array-like of shape (n_samples,), default=None
            Class of each sample; each class gets its own grid rows.
        name : str, default=None
            Title of the axes.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        n_cols : int, default=None
            See :meth:`plot`.
        cmap : str, default="gray_r"
            See :meth:`plot`.
        vmin : float, default=None
            See :meth:`plot`.
        vmax : float, default=None
            See :meth:`plot`.
        classes_along : {"rows", "columns"}, default="rows"
            See :meth:`plot`.

        Returns
        -------
        display : SampleGridDisplay
            The display, drawn.
        """
        samples = check_array(samples, dtype=np.float64, input_name="samples")
        image_shape = _check_image_shape(image_shape, samples.shape[1])
        display = cls(samples, image_shape, labels=labels, name=name)
        return display.plot(
            ax,
            n_cols=n_cols,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            classes_along=classes_along,
        )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        image_shape,
        n_samples=8,
        classes=None,
        random_state=None,
        name=None,
        ax=None,
        cmap="gray_r",
        vmin=None,
        vmax=None,
        classes_along="rows",
    ):
        """Grid of images drawn from a fitted model's ``sample``.

        Parameters
        ----------
        estimator : estimator
            A fitted sk_ebm estimator with ``sample``: a classifier is sampled
            class by class (``sample(n_samples, y=k)``), one grid row per
            class; a density estimator gives ``n_samples`` images.
        image_shape : tuple of int
            ``(height, width)`` or ``(height, width, channels)``.
        n_samples : int, default=8
            Samples per class for a classifier, in all otherwise.
        classes : array-like, default=None
            Classes to sample (a classifier's ``classes_`` by default).
        random_state : int, RandomState instance or None, default=None
            Seeds ``sample``.
        name : str, default=None
            Title of the axes; None names the estimator.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        cmap : str, default="gray_r"
            See :meth:`plot`.
        vmin : float, default=None
            See :meth:`plot`.
        vmax : float, default=None
            See :meth:`plot`.
        classes_along : {"rows", "columns"}, default="rows"
            See :meth:`plot`.

        Returns
        -------
        display : SampleGridDisplay
            The display, drawn.
        """
        check_method(estimator, "sample", "SampleGridDisplay.from_estimator")
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        labels = None
        if is_classifier(estimator):
            classes = estimator.classes_ if classes is None else np.asarray(classes)
            samples = np.concatenate(
                [
                    estimator.sample(n_samples, y=k, random_state=random_state)
                    for k in classes
                ]
            )
            labels = np.repeat(classes, n_samples)
        else:
            if classes is not None:
                raise ValueError(
                    "classes applies to a classifier; "
                    f"{type(estimator).__name__} is not one."
                )
            samples = estimator.sample(n_samples, random_state=random_state)
        if name is None:
            name = f"samples of {estimator_name(estimator)}"
        return cls.from_samples(
            samples,
            image_shape=image_shape,
            labels=labels,
            name=name,
            ax=ax,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            classes_along=classes_along,
        )
