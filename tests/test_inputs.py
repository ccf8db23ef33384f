"""What tutorials feed fit/evaluate/predict besides arrays: pandas DataFrames and Series (the regression
and Pima tutorials), lists of lists; string labels get a clear error. Same numbers as the arrays."""

import numpy as np
import pytest

import pyminidl as tf

pd = pytest.importorskip("pandas")  # in the test extra (pyproject.toml)


def make_model():
    tf.set_random_seed(11)
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(2,), activation="relu"),
                                 tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def frame():
    rng = np.random.RandomState(2)
    df = pd.DataFrame({"weight": rng.rand(20) * 50 + 50, "age": rng.randint(20, 60, 20)})  # float and int columns
    df["fat"] = 0.1 * df["weight"] + 0.2 * df["age"]
    return df


def test_dataframe_and_series_train_like_arrays():
    df = frame()
    x, y = df[["weight", "age"]], df.pop("fat")
    reference = make_model().fit(x.to_numpy(), y.to_numpy(), epochs=3, verbose=0, shuffle=False).history
    model = make_model()
    hist = model.fit(x, y, epochs=3, verbose=0, shuffle=False, validation_data=(x, y)).history
    np.testing.assert_allclose(hist["loss"], reference["loss"], rtol=1e-6)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x.to_numpy(), y.to_numpy(), verbose=0))
    np.testing.assert_array_equal(model.predict(x), model.predict(x.to_numpy()))
    np.testing.assert_array_equal(model(x).numpy(), model.predict(x))


def test_validation_split_on_a_dataframe_takes_the_last_rows():
    df = frame()
    x, y = df[["weight", "age"]], df["fat"]
    model = make_model()
    hist = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, shuffle=False).history
    assert hist["val_loss"][0] == pytest.approx(model.evaluate(x[15:], y[15:], verbose=0)[0], rel=1e-6)


def test_lists_of_lists_train_like_arrays():
    x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0.0, 1.0, 1.0, 0.0]
    reference = make_model().fit(np.array(x), np.array(y), epochs=2, verbose=0, shuffle=False).history
    hist = make_model().fit(x, y, epochs=2, verbose=0, shuffle=False).history
    np.testing.assert_allclose(hist["loss"], reference["loss"], rtol=1e-6)


@pytest.mark.parametrize("labels", [
    pd.Series(["cat", "dog"] * 10), pd.Series(["cat", "dog"] * 10).astype("category"),
    np.array(["cat", "dog"] * 10), ["cat", "dog"] * 10,
])
def test_string_labels_get_a_clear_error(labels):
    with pytest.raises(TypeError, match=r"y must hold real numbers, got strings such as 'cat'.*np.unique"):
        make_model().fit(frame()[["weight", "age"]], labels, verbose=0)


def test_a_text_column_gets_a_clear_error():
    df = frame()
    df["sex"] = ["m", "f"] * 10
    with pytest.raises(TypeError, match=r"x must hold real numbers, got strings such as 'm'.*get_dummies"):
        make_model().fit(df[["weight", "sex"]], df["fat"], verbose=0)
