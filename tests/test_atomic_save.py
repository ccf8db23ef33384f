"""Saving replaces files atomically without widening their mode or leaving debris (pyminidl/_atomic.py)."""

import os
import signal
import stat
import subprocess
import sys

import pytest

import pyminidl as tf
from pyminidl import _atomic
from pyminidl import layers as L


def _model():
    model = tf.Sequential([L.Dense(3, input_shape=(2,))])
    model.compile(optimizer="adam", loss="mse")
    return model


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("save", [lambda m, p: m.save(p + ".keras"), lambda m, p: m.save_weights(p + ".weights.h5")])
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_saving_over_a_file_keeps_its_mode(save, mode, tmp_path):
    base = str(tmp_path / "model")
    model = _model()
    save(model, base)
    path = [str(p) for p in tmp_path.iterdir()][0]
    os.chmod(path, mode)
    save(model, base)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert os.listdir(tmp_path) == [os.path.basename(path)]  # no temporary left


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        _model().save(tmp_path / "m.keras")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.keras").st_mode) == 0o640


def test_a_symbolic_link_is_followed_not_replaced(tmp_path):
    model = _model()
    model.save(tmp_path / "real.keras")
    os.symlink("real.keras", tmp_path / "link.keras")
    model.save(tmp_path / "link.keras")
    assert os.path.islink(tmp_path / "link.keras")
    assert tf.models.load_model(tmp_path / "link.keras").count_params() == 9


def test_stale_temporaries_of_the_target_are_removed_live_ones_kept(tmp_path):
    dead, live = _dead_pid(), os.getppid()
    stale = tmp_path / f".m.keras.{dead}.0123abcd.tmp"
    busy = tmp_path / f".m.keras.{live}.0123abcd.tmp"   # a process that may still be writing
    other = tmp_path / f".other.keras.{dead}.0123abcd.tmp"  # another target's: not ours to judge
    for p in (stale, busy, other):
        p.write_bytes(b"x" * 1000)
    _model().save(tmp_path / "m.keras")
    assert not stale.exists() and busy.exists() and other.exists()


def test_a_save_killed_mid_write_is_cleaned_by_the_next_save(tmp_path):
    # The child dies (SIGKILL) while writing the weights member: its full-size temporary stays behind.
    script = f"""
import os, signal, zipfile
import pyminidl as tf
from pyminidl import layers as L
model = tf.Sequential([L.Dense(64, input_shape=(64,))])
model.save({str(tmp_path / 'm.keras')!r})
real = zipfile.ZipFile.writestr
def dying(self, name, data, *a, **k):
    if name == "model.weights.h5":
        self.fp.write(data)
        self.fp.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, name, data, *a, **k)
zipfile.ZipFile.writestr = dying
model.save({str(tmp_path / 'm.keras')!r})
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert len(leftovers) == 1 and os.path.getsize(tmp_path / leftovers[0]) > 64 * 64 * 4
    tf.models.load_model(tmp_path / "m.keras")  # the previous good file is intact
    _model().save(tmp_path / "m.keras")
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with _atomic.replacing(str(path)) as f:
            f.write(b"new, partial")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]
