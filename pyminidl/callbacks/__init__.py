"""Callbacks: hooks into fit/evaluate/predict, with Keras' names, arguments and order.

    base         Callback, CallbackList (what fit calls), History
    monitoring   the one "did it improve" rule (MonitorCallback) and EarlyStopping
    checkpoint   ModelCheckpoint
    schedules    LearningRateScheduler, ReduceLROnPlateau
    loggers      ProgbarLogger, CSVLogger (TensorBoard is refused with a pointer to CSVLogger)
    hooks        TerminateOnNaN, LambdaCallback
"""

from pyminidl import _api
from pyminidl.callbacks.base import Callback, CallbackList, History
from pyminidl.callbacks.checkpoint import ModelCheckpoint
from pyminidl.callbacks.hooks import LambdaCallback, TerminateOnNaN
from pyminidl.callbacks.loggers import CSVLogger, ProgbarLogger, TensorBoard
from pyminidl.callbacks.monitoring import EarlyStopping, MonitorCallback
from pyminidl.callbacks.schedules import LearningRateScheduler, ReduceLROnPlateau

# the classes of the files above (MonitorCallback: the base of user callbacks that watch a metric)
__all__ = _api.public(globals())
__dir__ = _api.dir_function(__all__)
