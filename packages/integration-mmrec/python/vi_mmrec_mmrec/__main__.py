"""``python -m vi_mmrec_mmrec SIDECAR [--inter FILE.inter] [--json]``: checks a sidecar.

Prints its rows, users, items, real and virtual pairs and weight ranges; with ``--inter``, also
checks that its real pairs are exactly the distinct training rows (x_label 0) of that
``.inter`` and whether its ids stay within the ``.inter``'s (what MMRec counts users and
items from). Exit 0 when valid, 1 with a one-line error otherwise, 2 on bad arguments.
"""

import argparse
import json
import sys

import numpy as np

from . import read_sidecar


def _read_inter(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().lstrip("\ufeff").rstrip("\r\n").split("\t")
    cols = []
    for name in ("userID", "itemID", "x_label"):
        if name not in header:
            raise ValueError(f"{path}:1: the header has no {name!r} column")
        cols.append(header.index(name))
    data = np.loadtxt(path, delimiter="\t", skiprows=1, usecols=cols, ndmin=2, dtype=np.int64, encoding="utf-8")
    return data[:, 0], data[:, 1], data[:, 2]


def describe(path, inter=None):
    """Checks the sidecar ``path`` (against ``inter`` if given); returns a summary dict."""
    s = read_sidecar(path)
    virtual = ~s.real
    out = {
        "file": str(path),
        "rows": int(len(s.users)),
        "users": int(s.users.max() + 1) if len(s.users) else 0,
        "items": int(s.items.max() + 1) if len(s.items) else 0,
        "real": int(s.real.sum()),
        "virtual": int(virtual.sum()),
        "weight_real": [float(s.weights[s.real].min()), float(s.weights[s.real].max())] if s.real.any() else None,
        "weight_virtual": [float(s.weights[virtual].min()), float(s.weights[virtual].max())] if virtual.any() else None,
    }
    if inter is not None:
        u, i, label = _read_inter(inter)
        n_items = int(i.max()) + 1 if len(i) else 0
        train = np.unique((u[label == 0] * n_items + i[label == 0]) if n_items else np.zeros(0, np.int64))
        inside = (s.items < n_items) & (s.users <= (int(u.max()) if len(u) else -1))
        real_keys = np.unique(s.users[s.real] * n_items + s.items[s.real]) if np.all(inside[s.real]) else None
        if real_keys is None or real_keys.size != train.size or not np.array_equal(real_keys, train):
            raise ValueError(f"{path}: its real pairs are not the distinct training rows (x_label 0) of {inter}; "
                             "write the sidecar from this dataset")
        out["inter"] = str(inter)
        out["virtual_beyond_inter_ids"] = int((~inside & virtual).sum())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vi_mmrec_mmrec", description="Checks a vi-mmrec sidecar file.")
    parser.add_argument("sidecar", help="the file written by 'vi-mmrec augment --format sidecar' or exportForMmrec")
    parser.add_argument("--inter", help="the dataset's .inter file, to check the real pairs against its training rows")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        info = describe(args.sidecar, args.inter)
    except (OSError, ValueError) as e:
        print(f"vi_mmrec_mmrec: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info))
    else:
        for key, value in info.items():
            print(f"{key:<25} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
