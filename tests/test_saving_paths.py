"""Which file names model.save, load_model, save_weights, load_weights and ModelCheckpoint take (one check:
saving.check_filepath), bad arguments, and how saving treats the file system: modes, temporaries, interrupted
saves. The round trips themselves are in test_saving.py."""

import os
import stat
import zipfile

import pytest

from pyminidl import callbacks, models

from test_saving import make_model, same_weights


# --- paths, arguments, modes, temporaries ----------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda m, d: m.save(d / "model"), "must end in '.keras' or '.h5'"),
    (lambda m, d: m.save(d / "m.weights.h5"), "for save_weights"),
    (lambda m, d: m.save_weights(d / "w.keras"), "must end in '.h5'"),
    (lambda m, d: models.load_model(d / "m.weights.h5"), "holds only weights"),
    (lambda m, d: m.load_weights(d / "w.npz"), "must end in '.keras' or '.h5'"),
    (lambda m, d: models.load_model(d / "missing.keras"), "missing.keras: no such file"),
    (lambda m, d: models.load_model(d / "missing.h5"), "missing.h5"),
    (lambda m, d: models.load_model(d / "m.keras", safe_mode=False), "never runs code"),
])
def test_bad_paths(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(make_model(), tmp_path)


def test_bad_argument_types(tmp_path):
    with pytest.raises(TypeError, match="filepath must be a string or path, got 42"):
        make_model().save(42)
    with pytest.raises(TypeError, match="compile must be True or False, got 'yes'"):
        models.load_model(tmp_path / "m.keras", compile="yes")
    with pytest.raises(TypeError, match="custom_objects"):
        models.load_model(tmp_path / "m.keras", custom_objects=[print])
    model = make_model()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "w.weights.h5"])
def test_saving_over_a_file_keeps_its_mode(tmp_path, name):
    model = make_model()
    path = tmp_path / name
    save = model.save_weights if name.endswith(".weights.h5") else model.save
    save(path)
    os.chmod(path, 0o600)
    save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        make_model().save(tmp_path / "m.keras")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.keras").st_mode) == 0o644


def test_stale_temporaries_of_a_killed_save_are_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has exited: its temporaries are debris
    stale = tmp_path / f".m.keras.{pid}.deadbeef.tmp"
    stale.write_bytes(b"x" * 4096)
    other = tmp_path / f".n.keras.{pid}.deadbeef.tmp"  # another target's temporary is left alone
    other.write_bytes(b"y")
    live = tmp_path / f".m.keras.{os.getppid()}.cafe0000.tmp"  # a running process may still be writing it
    live.write_bytes(b"z")
    make_model().save(tmp_path / "m.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.keras", other.name, live.name])


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    real = zipfile.ZipFile.writestr

    def explode(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            raise KeyboardInterrupt
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", explode)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind
    models.load_model(path)


# --- the names tf.keras 2.x takes: one check (saving.check_filepath) for every entry point -----------------
@pytest.mark.parametrize("call, name", [
    (lambda m, p: m.save(p), "best.hdf5"),
    (lambda m, p: m.save_weights(p), "w.hdf5"),
    (lambda m, p: callbacks.ModelCheckpoint(p), "best.hdf5"),
    (lambda m, p: callbacks.ModelCheckpoint(p, save_weights_only=True), "weights.best.hdf5"),
])
def test_hdf5_suffix_is_keras_2_legacy_hdf5_as_h5(tmp_path, call, name):
    import h5py

    model = make_model()
    path = str(tmp_path / name)
    callback = call(model, path)
    if callback is not None:  # a ModelCheckpoint: its check passed; save as it would
        callback.set_model(model)
        callback._save(0, None, {})
    assert h5py.is_hdf5(path)
    other = make_model()
    other.load_weights(path)
    assert same_weights(other.get_weights(), model.get_weights())


@pytest.mark.parametrize("call, name, suggestion", [
    (lambda m, p: m.save(p), "best.weights.h5", None),
    (lambda m, p: m.save_weights(p), "w.keras", "w.weights.h5"),
    (lambda m, p: m.save(p), "best.npz", "best.npz.keras"),
    (lambda m, p: callbacks.ModelCheckpoint(p, save_weights_only=True), "w.keras", "w.weights.h5"),
])
def test_wrong_names_say_what_to_write_instead(tmp_path, call, name, suggestion):
    match = "is for save_weights" if suggestion is None else rf"Use a name such as '{suggestion}' instead"
    with pytest.raises(ValueError, match=match):
        call(make_model(), str(tmp_path / name))


@pytest.mark.parametrize("call", [lambda m, p: m.save(p), lambda m, p: m.save_weights(p),
                                  lambda m, p: callbacks.ModelCheckpoint(p)])
def test_savedmodel_and_checkpoint_names_say_what_to_write_instead(tmp_path, call):
    with pytest.raises(ValueError, match=r"SavedModel or checkpoint.*Use a name such as 'my_model\."):
        call(make_model(), str(tmp_path / "my_model"))


# --- issue 18's guard over issue 17's files: saving may run inside fit, loading weights may not ---------------
@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5", "m.keras"])
def test_load_weights_from_a_callback_of_fit_is_refused_save_is_not(tmp_path, name):
    from pyminidl import _guard
    from test_saving import data

    model, (x, y) = make_model(), data()
    path = tmp_path / name
    model.save_weights(path) if name.endswith(".weights.h5") or name == "w.h5" else model.save(path)

    class Both(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.save(tmp_path / "during.h5")  # reads the weights: allowed while fit runs
            self.model.load_weights(path)

    with pytest.raises(_guard.ModelBusyError, match=r"load_weights\(\) cannot run while fit\(\) is using this model"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Both()])
    assert models.load_model(tmp_path / "during.h5").count_params() == model.count_params()
    model.load_weights(path)  # not left busy
