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
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sk_ebm import EnergyClassifier
from sk_ebm.metrics import expected_calibration_error, reliability_diagram_bins

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
# is classified correctly. :func:`~sk_ebm.metrics.reliability_diagram_bins`
# bins the confidences; each bar is the accuracy in its bin, and a calibrated
# model has its bars on the diagonal. The expected calibration error (ECE) is
# the mean gap between the bars and the diagonal, weighted by the number of
# images in each bin. Bars above the diagonal mean under-confidence, bars below
# it over-confidence; most test images fall in the last bin, so the sparsely
# filled bins of low confidence are noisy.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    proba = model.predict_proba(X_test)
    bins = reliability_diagram_bins(y_test, proba, n_bins=15, labels=model.classes_)
    ece = expected_calibration_error(y_test, proba, n_bins=15, labels=model.classes_)
    edges = bins.bin_edges
    nonempty = bins.count > 0
    ax.bar(
        edges[:-1][nonempty],
        bins.accuracy[nonempty],
        width=np.diff(edges)[nonempty],
        align="edge",
        edgecolor="black",
        label="accuracy",
    )
    ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (largest class probability)")
    ax.set_title(f"{name}\nECE = {ece:.3f}")
axes[0].set_ylabel("accuracy in the bin")
axes[0].legend(loc="upper left")
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
# OOD inputs (1 is perfect, 0.5 is chance).
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
scores_in = jem.score_samples(X_test)
scores_ood = {name: jem.score_samples(X_ood) for name, X_ood in ood_sets.items()}

all_scores = np.concatenate([scores_in, *scores_ood.values()])
bins = np.linspace(all_scores.min(), all_scores.max(), 60)
fig, ax = plt.subplots(figsize=(8, 4))
ax.hist(scores_in, bins=bins, alpha=0.7, label="test digits")
for name, scores in scores_ood.items():
    labels = np.r_[np.ones(len(scores_in)), np.zeros(len(scores))]
    auroc = roc_auc_score(labels, np.r_[scores_in, scores])
    ax.hist(
        scores, bins=bins, histtype="step", lw=2, label=f"{name} (AUROC {auroc:.3f})"
    )
ax.set_yscale("log")
ax.set_xlabel("score_samples = log p(x) + log Z")
ax.set_ylabel("number of images")
ax.set_title("JEM: log-density of test digits and of OOD inputs")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# The softmax classifier has no log-density worth the name: its largest class
# probability, the usual OOD score of a discriminative model, is *higher* on
# these inputs than on the test digits: networks with asymptotically linear
# activations (here SiLU) grow more confident far from the data. Its AUROC is
# then below 0.5, often close to 0.
for name, X_ood in ood_sets.items():
    confidence_in = softmax.predict_proba(X_test).max(1)
    confidence_ood = softmax.predict_proba(X_ood).max(1)
    labels = np.r_[np.ones(len(X_test)), np.zeros(len(X_ood))]
    auroc = roc_auc_score(labels, np.r_[confidence_in, confidence_ood])
    print(f"softmax, max probability, {name}: AUROC {auroc:.3f}")

# %%
# Class-conditional samples
# -------------------------
#
# :meth:`~sk_ebm.EnergyClassifier.sample` with ``y`` runs Langevin dynamics on
# :math:`E(x, y) = -f(x)[y]` from the Gaussian fitted to the training data.
# These short chains find inputs that the classifier assigns to the class with
# high confidence; on 1 000 training images they look like rough digits rather
# than faithful ones. Pixels are shown clipped to the data range [0, 16].
classes = [0, 3, 7]
fig, axes = plt.subplots(len(classes), 8, figsize=(8, 1.1 * len(classes)))
for row, k in zip(axes, classes, strict=True):
    samples = jem.sample(8, y=k, random_state=0)
    for ax, image in zip(row, samples, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(f"y = {k}", rotation=0, labelpad=18)
fig.suptitle("Samples of p(x | y) from the JEM model")
fig.tight_layout()
plt.show()
