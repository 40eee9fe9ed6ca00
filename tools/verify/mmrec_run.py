"""Trains one MMRec model with MMRec's own quick_start, with or without vi-mmrec's sidecar.

Runs MMRec unmodified from its folder (``--mmrec``, default ../shared/vendor/mmrec): MMRec
reads ``configs/`` from the working directory and writes ``log/`` there, so it runs in a fresh
temporary folder whose ``configs`` links to MMRec's. With ``--sidecar``, MMRec's quick_start
builds ``vi_mmrec_mmrec.mmrec.VirtualTrainDataLoader`` (shipped in
packages/integration-mmrec/python) instead of its TrainDataLoader. The
config_dict fixes the seed (``--seed``, or a list in ``--config``) and the model's
hyper-parameters; every grid point they leave runs in MMRec's own loop. Prints one JSON line:
{"points": [{"best_valid": {...}, "test": {...}, "train_rows_last_epoch": n,
"real_train_rows": m, "epochs_run": e, "best_epoch": b}, ...], "seconds": s}, one entry per grid point in MMRec's order
(MMRec's metrics at the best validation epoch; the rows the loader trained on in its last
epoch, virtual ones included, and the real training rows).
Used by tools/verify/mmrec-roundtrip.mjs and packages/integration-mmrec's tests.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# ../shared next to the repository (or next to the folder of a git work tree)
SHARED = next((d for d in (os.path.join(REPO, "..", "shared"), os.path.join(REPO, "..", "..", "shared"))
               if os.path.isdir(os.path.join(d, "vendor", "mmrec"))), os.path.join(REPO, "..", "shared"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mmrec", default=os.path.join(SHARED, "vendor", "mmrec"))
    p.add_argument("--data", required=True, help="the dataset folder, e.g. ../shared/data/baby")
    p.add_argument("--model", default="BPR")
    p.add_argument("--sidecar", help="vi-mmrec sidecar; omitted = MMRec's baseline")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--stopping-step", type=int, default=20)
    p.add_argument("--seed", type=int, default=999)
    p.add_argument("--config", default="{}", help="more config_dict entries as JSON, e.g. '{\"reg_weight\": [0.001]}'")
    args = p.parse_args()

    if not hasattr(np, "float"):  # MMRec's utils/metrics.py uses the alias NumPy 1.24 removed
        np.float = float
    src = os.path.abspath(os.path.join(args.mmrec, "src"))
    sys.path.insert(0, src)
    sys.path.insert(0, os.path.join(REPO, "packages", "integration-mmrec", "python"))
    data = os.path.abspath(args.data)
    work = tempfile.mkdtemp(prefix="vi-mmrec-mmrec-")
    os.symlink(os.path.join(src, "configs"), os.path.join(work, "configs"))
    os.chdir(work)

    import utils.quick_start as qs

    results = []
    make_trainer = qs.get_trainer

    def recording_trainer():
        base = make_trainer()

        class Recording(base):
            last_epoch = -1

            def _train_epoch(self, train_data, epoch_idx, *a, **k):
                self.last_epoch = epoch_idx
                return super()._train_epoch(train_data, epoch_idx, *a, **k)

            def fit(self, train_data, *a, **k):
                out = super().fit(train_data, *a, **k)
                # rows of the last epoch's training set, and of the real split; epochs run and
                # the best validation epoch (MMRec's own formula, from its early-stopping counter)
                epochs = {"epochs_run": self.last_epoch + 1,
                          "best_epoch": self.last_epoch - self.cur_step * self.eval_step}
                results.append((out, len(train_data.dataset), len(train_data.dataset_bk), epochs))
                return out

        return Recording

    qs.get_trainer = recording_trainer
    config = {
        "gpu_id": 0,
        "use_gpu": False,
        "data_path": os.path.dirname(data) + os.sep,
        "inter_file_name": os.path.basename(data) + ".inter",
        "USER_ID_FIELD": "userID",  # vi-mmrec's layout (MMRec's dataset yaml may be absent)
        "ITEM_ID_FIELD": "itemID",
        "seed": [args.seed],
        "epochs": args.epochs,
        "stopping_step": args.stopping_step,
        "save_recommended_topk": False,
    }
    config.update(json.loads(args.config))
    if args.sidecar:
        from vi_mmrec_mmrec.mmrec import VirtualTrainDataLoader

        qs.TrainDataLoader = VirtualTrainDataLoader
        config["vi_mmrec_sidecar"] = os.path.abspath(args.sidecar)
    t0 = time.time()
    try:
        qs.quick_start(model=args.model, dataset=os.path.basename(data), config_dict=config, save_model=False)
    finally:
        os.chdir(REPO)
        shutil.rmtree(work, ignore_errors=True)
    points = [{"best_valid": best_valid, "test": test, "train_rows_last_epoch": last_rows, "real_train_rows": real_rows,
               **epochs}
              for (_, best_valid, test), last_rows, real_rows, epochs in results]
    print(json.dumps({"points": points, "seconds": time.time() - t0}))

if __name__ == "__main__":
    main()
