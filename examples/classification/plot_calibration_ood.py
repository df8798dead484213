r"""
Calibration, out-of-distribution detection and sampling on digits
=================================================================

:class:`~sk_ebm.EnergyClassifier` is a softmax classifier whose logits
:math:`f(x)` also define an energy-based model of the inputs (JEM, Grathwohl et
al., 2020):

.. math:: p(y \mid x) = \mathrm{softmax}(f(x))_y, \qquad
    \log p(x) = \log \sum_y e^{f(x)[y]} - \log Z.

With the default ``generative_weight=0.1`` it is trained on both terms; with
``generative_weight=0`` it is a plain softmax classifier with the same network
and training loop. This example compares the two on the ``digits`` data set:
the calibration of their probabilities, how well the unnormalised log-density
``score_samples`` separates test digits from out-of-distribution (OOD) inputs,
and the class-conditional samples of the energy-based model.
"""

# Authors: The sk_ebm developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and models
# ---------------
#
# The 8x8 digit images have pixel values between 0 and 16. We train on 1 000
# images and keep the other 797 for testing.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sk_ebm import EnergyClassifier
from sk_ebm.plotting import OODScoreDisplay, ReliabilityDisplay, SampleGridDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, stratify=y, random_state=0
)

models = {
    "JEM (generative_weight=0.1)": EnergyClassifier(random_state=0),
    "softmax (generative_weight=0)": EnergyClassifier(
        generative_weight=0, random_state=0
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name}: test accuracy {model.score(X_test, y_test):.3f}")

# %%
# Reliability diagrams
# --------------------
#
# A classifier is calibrated when, among the test images predicted with
# confidence (largest class probability) around :math:`c`, a fraction :math:`c`
# is classified correctly. :class:`~sk_ebm.plotting.ReliabilityDisplay` bins
# the confidences with :func:`~sk_ebm.metrics.reliability_diagram_bins`; each
# bar is the accuracy in its bin, the hatched red bar its gap to the bin's mean
# confidence, and a calibrated model has its bars on the diagonal. The expected
# calibration error (ECE) is the mean gap, weighted by the number of images in
# each bin (the gray bars, right axis); the maximum calibration error (MCE) is
# the largest. Bars above the diagonal mean under-confidence, bars below it
# over-confidence; most test images fall in the last bin, so the sparsely
# filled bins of low confidence are noisy.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    ReliabilityDisplay.from_estimator(
        model, X_test, y_test, n_bins=15, name=name, ax=ax, histogram=True
    )
fig.tight_layout()

# %%
# Out-of-distribution inputs
# --------------------------
#
# ``score_samples`` returns :math:`-E(x) = \log \sum_y e^{f(x)[y]}`, the
# log-density of the model up to the constant :math:`\log Z`. We compare it on
# the test digits and on three kinds of inputs unlike the training images:
# uniform noise on the pixel range, digits with inverted intensities
# (:math:`16 - x`) and digits rotated by 90 degrees. The area under the ROC
# curve (AUROC) measures how well the score ranks the test digits above the
# OOD inputs (1 is perfect, 0.5 is chance), and the FPR at 95 % TPR is the
# share of OOD inputs accepted when 95 % of the test digits are.
# :class:`~sk_ebm.plotting.OODScoreDisplay` draws the score densities and puts
# both numbers in its legend.
rng = np.random.RandomState(0)
ood_sets = {
    "uniform noise": rng.uniform(0, 16, size=X_test.shape),
    "inverted digits": 16 - X_test,
    "rotated digits": np.rot90(X_test.reshape(-1, 8, 8), axes=(1, 2)).reshape(
        len(X_test), -1
    ),
}
jem = models["JEM (generative_weight=0.1)"]
softmax = models["softmax (generative_weight=0)"]
display = OODScoreDisplay.from_estimator(
    jem, X_test, ood_sets, name="JEM: score_samples = log p(x) + log Z", log_scale=True
)
display.ax_.set_xlabel("score_samples (lower scores piled up at the left edge)")
display.figure_.set_size_inches(8, 4)
display.figure_.tight_layout()

# %%
# The softmax classifier has no log-density worth the name: its largest class
# probability, the usual OOD score of a discriminative model, is *higher* on
# these inputs than on the test digits: networks with asymptotically linear
# activations (here SiLU) grow more confident far from the data. Its AUROC is
# then below 0.5, often close to 0.
confidence_in = softmax.predict_proba(X_test).max(axis=1)
confidence_ood = {
    name: softmax.predict_proba(X_ood).max(axis=1) for name, X_ood in ood_sets.items()
}
display = OODScoreDisplay.from_predictions(
    confidence_in, confidence_ood, range=(0, 1), name="softmax: max probability"
)
display.figure_.set_size_inches(8, 4)
display.figure_.tight_layout()

# %%
# Class-conditional samples
# -------------------------
#
# :meth:`~sk_ebm.EnergyClassifier.sample` with ``y`` runs Langevin dynamics on
# :math:`E(x, y) = -f(x)[y]` from the Gaussian fitted to the training data.
# These short chains find inputs that the classifier assigns to the class with
# high confidence; on 1 000 training images they look like rough digits rather
# than faithful ones. Pixels are shown clipped to the data range [0, 16].
display = SampleGridDisplay.from_estimator(
    jem,
    image_shape=(8, 8),
    n_samples=8,
    classes=[0, 3, 7],
    random_state=0,
    vmin=0,
    vmax=16,
    name="Samples of p(x | y) from the JEM model",
)
display.figure_.set_size_inches(8, 3.4)
plt.show()
