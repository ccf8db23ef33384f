"""Writing a file so that readers see the old content or the new, never a part: a temporary file in the same
folder, fsync, then os.replace over the target. Every saving path (model.save, save_weights, whatever format it
writes) goes through `replacing(path)` (a file object) or `reserved(path)` (a temporary path, for writers such as
h5py that open files by name).

Two things a plain temporary-then-rename gets wrong, and this does not:

- the mode: the temporary file is created with the umask's mode (0644), so saving over a 0600 file used to
  widen it. The replacement takes the mode of the file it replaces (a new file gets the umask's, as open()).
- debris: a save killed mid-write (SIGKILL, power loss) leaves its temporary `.name.PID.xxxxxxxx.tmp` of
  the full size. The next save of the same target removes those whose process is gone (a live process may
  still be writing its own).

A symbolic link as the target is followed: the file it points to is replaced and the link stays.
"""

import contextlib
import os
import re
import stat


def _temporary_name(path):
    return f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp"


def _pid_alive(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same target
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(path):
    """Remove the temporaries of earlier saves of `path` whose process no longer runs; returns their names."""
    folder, base = os.path.split(os.path.abspath(path))
    pattern = re.compile(r"\." + re.escape(base) + r"\.(\d+)\.[0-9a-f]{8}\.tmp")
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))
                removed.append(name)
    return removed


@contextlib.contextmanager
def reserved(path):
    """A temporary file's path, next to `path`, for a writer that opens files by name (h5py, zipfile, onnx);
    the file replaces `path` when the block ends without an exception (and is removed otherwise). The writer
    may truncate or recreate it: the mode set here stays (O_TRUNC keeps a file's permission bits)."""
    if os.path.islink(path):
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = os.path.join(folder, _temporary_name(path))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # before any byte is written: never readable more widely than the original
        finally:
            os.close(fd)
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash once the folder is synced
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def replacing(path):
    """A binary file to write the new content of `path` into; it replaces `path` when the block ends without
    an exception (and is removed otherwise)."""
    with reserved(path) as tmp, open(tmp, "r+b") as f:
        yield f
        f.flush()
