"""The version of swiftgrad: the one place it is written (pyproject.toml reads it from here)."""
__version__ = "0.1.0"


def installed_version(init_file):
    """The installed distribution's version (importlib.metadata) when `init_file` belongs to it;
    `__version__` above for in-place builds and source trees (an older installed swiftgrad does not
    speak for this tree)."""
    import os

    try:
        from importlib import metadata

        dist = metadata.distribution("swiftgrad")
        located = os.path.realpath(str(dist.locate_file(os.path.join("swiftgrad", "__init__.py"))))
        if located == os.path.realpath(init_file):
            return dist.version
    except Exception:  # noqa: BLE001  (no metadata, or a broken installation: fall back)
        pass
    return __version__
