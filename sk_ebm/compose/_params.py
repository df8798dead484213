"""Nested parameters of the compositions' members, as scikit-learn
meta-estimators expose them (``estimators__<i>__<name>``)."""

from __future__ import annotations

from sklearn.base import clone

from sk_ebm.compose._members import is_fitted_member

__all__ = ["NestedMembersParams"]


class NestedMembersParams:
    """``get_params`` / ``set_params`` over the members of ``estimators``,
    and a ``clone`` that keeps fitted members; mixed into BaseComposition."""

    def get_params(self, deep=True):
        """Parameters of the composition and, with ``deep``, of its members.

        Parameters
        ----------
        deep : bool, default=True
            Also return each member's parameters, as ``estimators__<i>`` (the
            ``i``-th estimator, the classifier of a concept) and
            ``estimators__<i>__<name>``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=False)
        if not deep or not isinstance(self.estimators, (list, tuple)):
            return params
        for i, entry in enumerate(self.estimators):
            estimator = entry[0] if isinstance(entry, tuple) else entry
            params[f"estimators__{i}"] = estimator
            if hasattr(estimator, "get_params"):
                for key, value in estimator.get_params(deep=True).items():
                    params[f"estimators__{i}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set the parameters of the composition or of its members.

        Parameters
        ----------
        **params : dict
            Parameters of the composition, ``estimators__<i>`` (replaces the
            ``i``-th estimator, keeping a concept's label) or
            ``estimators__<i>__<name>`` (a member's parameter).

        Returns
        -------
        self : estimator instance
            This composition.
        """
        nested = {
            k: params.pop(k) for k in list(params) if k.startswith("estimators__")
        }
        if "estimators" in params:
            super().set_params(estimators=params.pop("estimators"))
        if nested:
            entries = list(self.estimators or [])
            replaced, inner = False, {}
            for key, value in nested.items():
                index, _, name = key[len("estimators__") :].partition("__")
                if not index.isdigit() or int(index) >= len(entries):
                    raise ValueError(
                        f"Invalid parameter {key!r} for {type(self).__name__}: "
                        f"estimators has {len(entries)} entries, indexed from 0."
                    )
                i = int(index)
                if name:
                    inner.setdefault(i, {})[name] = value
                elif isinstance(entries[i], tuple):
                    entries[i], replaced = (value, entries[i][1]), True
                else:
                    entries[i], replaced = value, True
            if replaced:
                self.estimators = entries
            for i, values in inner.items():
                entry = self.estimators[i]
                (entry[0] if isinstance(entry, tuple) else entry).set_params(**values)
        if params:
            super().set_params(**params)
        return self

    def __sklearn_clone__(self):
        # Fitted members are kept as they are (as FrozenEstimator is): a clone
        # in a grid search over weights or temperature composes the same
        # models instead of refitting them.
        params = {
            key: clone(value, safe=False)
            for key, value in self.get_params(deep=False).items()
            if key != "estimators"
        }
        estimators = self.estimators
        if isinstance(estimators, (list, tuple)):
            estimators = [
                entry if is_fitted_member(entry) else clone(entry, safe=False)
                for entry in estimators
            ]
        return type(self)(estimators=estimators, **params)
