"""Compiled loops (numba), one module per state they serve.

These are the loops that NumPy cannot express without materialising large temporaries:
walking fixed-width adjacency rows person by person, and single passes over every edge
id. No kernel draws random numbers: the callers pass in the draws, taken from the model's
generator. Each kernel has one caller, the owner of the state it works on: the tie store
(``sim/world/ties.py``) calls ``rows``, ``cap``, ``strength`` and ``sweep``; the roster
(``sim/roster.py``) calls ``membership``; the attention phase calls ``attention``; the
world generators call ``cap``; people's interests (``sim/world/population.py``) call
``topics``; ``buckets`` (counting sorts by person) serves the other kernels. A rule that
a kernel applies is compiled from
``sim/rules.py`` rather than restated.

``cache=True`` keeps the compiled code in ``__pycache__``, so that only the first run
after a change of a kernel's file pays for compilation (about 10 s in all).
"""
