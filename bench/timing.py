"""How every timed run of the bench is taken."""

import contextlib
import gc


@contextlib.contextmanager
def no_collection():
    """As `timeit` does (and the peer's worker): collect first, then no garbage collection inside the timed
    run, so a collection the data build left pending is not counted as the page's time."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
