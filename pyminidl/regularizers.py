"""keras.regularizers: refused for now (penalties and their gradients belong in the C++ core, whose layer
interface is being rebuilt); the names import, and using one says so."""

from pyminidl._unsupported import refused

_WHY = ("weight penalties need their gradient in the C++ core, which is not there yet. Remove the "
        "regularizer, or fight overfitting with Dropout layers or callbacks.EarlyStopping.")

L1 = refused("L1", _WHY)
L2 = refused("L2", _WHY)
L1L2 = refused("L1L2", _WHY)
l1 = refused("l1", _WHY)
l2 = refused("l2", _WHY)
l1_l2 = refused("l1_l2", _WHY)

__all__ = ["L1", "L1L2", "L2", "l1", "l1_l2", "l2"]
