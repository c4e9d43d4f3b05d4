"""Hyper-parameter search across worker processes through joblib's Dask backend."""

import time

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklearn_ltdd import LTDDClassifier, SubclusterSchedule
from sklearn_ltdd.datasets import load_solubility
from sklearn_ltdd.metrics import balanced_f1_scorer

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")


def test_grid_search_on_a_local_dask_cluster():
    data = load_solubility(subset="train")
    rows = np.random.default_rng(0).choice(len(data.data), 120, replace=False)
    X, y = data.data[rows], data.target[rows]
    search = GridSearchCV(
        LTDDClassifier(
            max_epochs=3,
            schedule=SubclusterSchedule(warmup_epochs=1, update_every=1),
            hidden=16,
            random_state=0,
        ),
        {"lr": [1e-3, 1e-2]},
        cv=2,
        scoring=balanced_f1_scorer,
    )
    start = time.perf_counter()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client, distributed.get_task_stream(client) as tasks:
            with joblib.parallel_backend("dask"):
                search.fit(X, y)
    print(f"GridSearchCV (4 fits + refit) over 2 dask worker processes: {time.perf_counter() - start:.1f} s")
    assert len({task["worker"] for task in tasks.data}) == 2  # the fits really ran in both workers
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.predict(X[:5]).shape == (5,)
