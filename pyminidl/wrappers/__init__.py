"""scikit-learn estimators around pyminidl models, following SciKeras' API.

`KerasClassifier` and `KerasRegressor` work in `Pipeline`, `GridSearchCV`, `RandomizedSearchCV` and
`cross_val_score`, pickle through the model's own file format, and scale out on Dask through joblib
(see docs/scaling.md). Needs scikit-learn: `pip install "pyminidl[sklearn]"`.
"""

from pyminidl import _api
from pyminidl.wrappers.base import BaseWrapper
from pyminidl.wrappers.classifier import KerasClassifier
from pyminidl.wrappers.regressor import KerasRegressor

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]
__dir__ = _api.dir_function(__all__)
