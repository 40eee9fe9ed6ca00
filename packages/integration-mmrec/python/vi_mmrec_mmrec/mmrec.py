"""MMRec's training loader with vi-mmrec's virtual pairs.

Import this module inside an MMRec run (MMRec's ``src`` folder on ``sys.path``): it subclasses
MMRec's own ``utils.dataloader.TrainDataLoader`` and uses MMRec's dependencies (pandas, torch).
Nothing in MMRec is changed; its ``quick_start`` builds this loader once you point its
``TrainDataLoader`` name at it::

    import utils.quick_start as qs
    from vi_mmrec_mmrec.mmrec import VirtualTrainDataLoader
    qs.TrainDataLoader = VirtualTrainDataLoader
    qs.quick_start('BPR', 'baby', {'vi_mmrec_sidecar': sidecar_path}, save_model=False)
"""

import pandas as pd
from utils.dataloader import TrainDataLoader

from . import VirtualPairs

__all__ = ["VirtualTrainDataLoader"]


class VirtualTrainDataLoader(TrainDataLoader):
    """MMRec's ``TrainDataLoader`` plus each purely virtual pair of the sidecar with
    probability ``min(1, weight)``, drawn afresh each epoch.

    The real split is never changed: every epoch starts from MMRec's own copy of the training
    rows (``dataset_bk``), the negatives are drawn among the items outside the user's **real**
    training history (MMRec builds that history once, from the real rows), and the evaluation
    loaders keep masking the real training items only. The model's ``inter_matrix`` (the graph
    of LightGCN, FREEDOM, BM3, …) stays the real graph.

    ``sidecar`` is the sidecar's path; default ``config['vi_mmrec_sidecar']``. ``seed`` fixes
    the virtual pairs' stream; default ``config['seed']``, read again at every
    ``pretrain_setup()``, which MMRec's ``quick_start`` calls at the start of every grid point
    after setting that point's seed: epoch ``e`` of a grid point draws the same pairs whatever
    points ran before it.
    """

    def __init__(self, config, dataset, batch_size=1, shuffle=False, sidecar=None, seed=None):
        if not shuffle:
            raise ValueError("VirtualTrainDataLoader draws virtual pairs when it shuffles; build it with shuffle=True, "
                             "as MMRec's quick_start does")
        super().__init__(config, dataset, batch_size=batch_size, shuffle=shuffle)
        path = sidecar if sidecar is not None else config["vi_mmrec_sidecar"]
        if path is None:
            raise ValueError("no sidecar: pass sidecar=<path> or set config['vi_mmrec_sidecar']")
        self.vi_pairs = VirtualPairs(path)
        n_users, n_items = self.dataset.user_num, self.dataset.item_num
        if len(self.vi_pairs) and (self.vi_pairs.users.max() >= n_users or self.vi_pairs.items.max() >= n_items):
            raise ValueError(f"{path}: a virtual pair lies beyond MMRec's {n_users} users × {n_items} items; "
                             "write the sidecar from this dataset")
        self.vi_seed_arg = seed
        self.vi_seed = None
        self.vi_epoch = 0

    def pretrain_setup(self):
        super().pretrain_setup()
        self.vi_seed = self.vi_seed_arg if self.vi_seed_arg is not None else self.config["seed"]
        self.vi_epoch = 0

    def _shuffle(self):
        if self.vi_seed is None:  # used without quick_start: seed from the config now
            self.pretrain_setup()
        users, items = self.vi_pairs.draw(self.vi_seed, self.vi_epoch)
        self.vi_epoch += 1
        real = self.dataset_bk.df
        virtual = pd.DataFrame({self.dataset_bk.uid_field: users.astype(real[self.dataset_bk.uid_field].dtype),
                                self.dataset_bk.iid_field: items.astype(real[self.dataset_bk.iid_field].dtype)})
        self.dataset = self.dataset_bk.copy(pd.concat([real, virtual], ignore_index=True))
        super()._shuffle()
