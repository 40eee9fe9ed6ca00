"""Reads vi-mmrec's sidecar file of the enriched matrix R̄ and samples its virtual pairs.

Needs only NumPy. The sidecar is what ``vi-mmrec augment --format sidecar`` and
``exportForMmrec`` (``@vi-mmrec/integration-mmrec``) write: tab-separated, header
``userID itemID weight real``, one row per entry of R̄ sorted by user then item, ``real`` 1 for
a training pair and 0 for a purely virtual one. ``python -m vi_mmrec_mmrec <file>`` checks a
sidecar and prints what it holds. MMRec's training loader is in :mod:`vi_mmrec_mmrec.mmrec`.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["SIDECAR_HEADER", "Sidecar", "VirtualPairs", "read_sidecar"]

#: The sidecar's header, in order.
SIDECAR_HEADER = ("userID", "itemID", "weight", "real")


class Sidecar(NamedTuple):
    """The rows of a sidecar, in file order (sorted by user, then item)."""

    users: np.ndarray  #: int64 user ids
    items: np.ndarray  #: int64 item ids
    weights: np.ndarray  #: float64 weights of R̄ (> 0)
    real: np.ndarray  #: bool, True for a training pair, False for a purely virtual one


def _fail(path, line, message):
    where = f"{path}:{line}" if line is not None else str(path)
    raise ValueError(f"{where}: {message}")


def read_sidecar(path):
    """Reads and checks a sidecar file; returns a :class:`Sidecar`.

    Raises ``ValueError`` naming the file (and line) when the header is not
    ``userID itemID weight real``, an id is not a non-negative integer, a weight is not a
    positive finite number, ``real`` is not 0 or 1, or the rows are not sorted by user then
    item without repeats. The matrix TSV of ``vi-mmrec augment --format tsv`` (no ``real``
    column) is refused with a hint to write ``--format sidecar``.
    """
    with open(path, encoding="utf-8") as f:
        header = tuple(f.readline().lstrip("\ufeff").rstrip("\r\n").split("\t"))
    if header == SIDECAR_HEADER[:3]:
        _fail(path, 1, "this is the plain matrix TSV (userID itemID weight, no 'real' column); "
                       "write the sidecar with 'vi-mmrec augment --format sidecar'")
    if header != SIDECAR_HEADER:
        _fail(path, 1, f"header is {' '.join(header)!r}, expected 'userID itemID weight real' (tab-separated)")
    try:
        data = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2, dtype=np.float64, encoding="utf-8")
    except ValueError as e:
        _fail(path, None, f"not a table of 4 numbers per row ({e})")
    if data.shape[0] > 0 and data.shape[1] != 4:
        _fail(path, None, f"rows have {data.shape[1]} columns, expected 4")
    data = data.reshape(-1, 4)
    ids = data[:, :2]
    bad = np.flatnonzero(~np.all((ids >= 0) & (ids == np.floor(ids)) & (ids < 2**31), axis=1))
    if bad.size:
        _fail(path, int(bad[0]) + 2, "userID and itemID must be non-negative integers")
    weights = data[:, 2]
    bad = np.flatnonzero(~(np.isfinite(weights) & (weights > 0)))
    if bad.size:
        _fail(path, int(bad[0]) + 2, f"weight {weights[bad[0]]} is not a positive finite number")
    flag = data[:, 3]
    bad = np.flatnonzero((flag != 0) & (flag != 1))
    if bad.size:
        _fail(path, int(bad[0]) + 2, f"real is {flag[bad[0]]:g}, expected 0 or 1")
    users = ids[:, 0].astype(np.int64)
    items = ids[:, 1].astype(np.int64)
    order_ok = (users[1:] > users[:-1]) | ((users[1:] == users[:-1]) & (items[1:] > items[:-1]))
    bad = np.flatnonzero(~order_ok)
    if bad.size:
        _fail(path, int(bad[0]) + 3, "rows must be sorted by userID then itemID, each pair once")
    return Sidecar(users, items, weights, flag == 1)


class VirtualPairs:
    """The purely virtual pairs of a sidecar, drawn afresh each epoch.

    Epoch ``e`` of a run seeded with ``seed`` takes each virtual pair independently with
    probability ``min(1, weight)``, from a random stream that depends on ``(seed, e)`` only:
    a run (or a grid point of MMRec's hyper-parameter loop) draws the same pairs whatever ran
    before it in the same process.
    """

    def __init__(self, sidecar):
        if not isinstance(sidecar, Sidecar):
            sidecar = read_sidecar(sidecar)
        virtual = ~sidecar.real
        self.users = sidecar.users[virtual]
        self.items = sidecar.items[virtual]
        self.prob = np.minimum(1.0, sidecar.weights[virtual])

    def __len__(self):
        return len(self.prob)

    def draw(self, seed, epoch):
        """Returns ``(users, items)`` of the virtual pairs taken in ``epoch`` of run ``seed``."""
        if int(seed) < 0 or int(epoch) < 0:
            raise ValueError(f"seed and epoch must be non-negative integers, got {seed} and {epoch}")
        rng = np.random.default_rng([int(seed), int(epoch)])
        take = rng.random(len(self.prob)) < self.prob
        return self.users[take], self.items[take]
