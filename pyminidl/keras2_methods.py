"""Model methods that Keras 2 tutorials still call and Keras removed: predict_classes and predict_proba
(removed in TF 2.6), fit_generator / evaluate_generator / predict_generator (removed in TF 2.11). They run,
with a warning naming the replacement, as tf.keras 2.x warned before removing them."""

import warnings


def _deprecated(old, instead):
    warnings.warn(f"`model.{old}()` is deprecated and will be removed after 2021-01-01. Please use instead: "
                  f"{instead}", UserWarning, stacklevel=3)


class Keras2Methods:
    """Mixed into the models: everything here calls the model's own predict/fit/evaluate."""

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax of the outputs, or (output > 0.5) for a single sigmoid-like unit."""
        _deprecated("predict_classes", "* `np.argmax(model.predict(x), axis=-1)`, if your model does multi-class "
                    "classification (e.g. if it uses a `softmax` last-layer activation). * "
                    "`(model.predict(x) > 0.5).astype(\"int32\")`, if your model does binary classification "
                    "(e.g. if it uses a `sigmoid` last-layer activation).")
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The outputs (= predict); warns when they are not probabilities, as Keras 2 did."""
        _deprecated("predict_proba", "`model.predict()`.")
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer might not normalize "
                          "predictions into probabilities (like softmax or sigmoid would).", UserWarning,
                          stacklevel=2)
        return preds

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """fit() on a generator or Sequence (queue and worker settings are accepted and not needed)."""
        _generator_warning("fit")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        _generator_warning("evaluate")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        _generator_warning("predict")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)


def _generator_warning(method):
    warnings.warn(f"`Model.{method}_generator` is deprecated and will be removed in a future version. Please use "
                  f"`Model.{method}`, which supports generators.", UserWarning, stacklevel=3)
