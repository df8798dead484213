"""Docstring fragments that EnergyProduct and EnergyMixture share."""

from __future__ import annotations

import re

__all__ = ["shared_docs"]

# Docstring fragments of both compositions, put in place by shared_docs.
_SHARED_DOCS = {
    "estimators": """estimators : list, default=None
        The members: fitted or unfitted sk_ebm density estimators,
        :class:`~sk_ebm.EnergyClassifier` instances and ``(classifier,
        label)`` concepts; a :class:`~sklearn.frozen.FrozenEstimator` is
        unwrapped. Fitted members are used as they are (and kept by
        :func:`~sklearn.base.clone`, as a ``FrozenEstimator`` is); unfitted
        ones are cloned and fitted on the ``X`` (and ``y``) given to
        :meth:`fit`. All must agree on the number of features and the
        device.""",
    "sampling": """ais_temperatures : int, default=300
        Annealing steps of each AIS chain, one MALA step each; also those of
        the annealed sampler.
    sample_init : {"anneal", "base", "members"}, default="anneal"
        Where :meth:`sample` starts its chains before resampling them by
        their importance weights: ``"anneal"`` runs AIS from the members'
        Gaussian (product or mixture, see the Notes) to the composed density
        (``max(2 n_samples, 1024)`` chains); ``"base"`` draws from that
        Gaussian, half of it widened 1.5 times; ``"members"`` draws from the
        members with positive weights (in equal shares) with their own
        samplers, weighted against the mixture of their normalised densities
        (the naive "sample one, reweight by the other").
        ``benchmarks/bench_composition.py`` measures them.
    sample_steps : int, default=50
        MALA steps applied to the resampled chains.
    random_state : int, RandomState instance or None, default=None
        Seeds AIS in :meth:`fit`; the same int gives the same
        ``log_partition_`` on the CPU. Unfitted members keep their own
        ``random_state``.""",
    "members_attributes": """estimators_ : list of estimators
        The fitted members, in the order of ``estimators`` (a concept's
        classifier for a pair); members given fitted are the same objects.
    n_estimators_ : int
        Number of members.
    member_log_partitions_ : ndarray of shape (n_estimators_,)
        Each member's own log-partition :math:`\\log Z_i`: its
        ``log_partition_``, or an AIS estimate for a classifier's energy.""",
    "features_attributes": """n_features_in_ : int
        Number of features of the members.
    feature_names_in_ : ndarray of str
        Defined when the members were fitted on string feature names.""",
}


def shared_docs(cls):
    """Put the shared fragments in place of ``%(name)s`` in ``cls.__doc__``."""
    cls.__doc__ = re.sub(
        r"%\((\w+)\)s", lambda match: _SHARED_DOCS[match[1]], cls.__doc__
    )
    return cls
