/** Help texts of the `vi-mmrec` command. */
import { APPROXIMATE_CROSSOVER_ITEMS } from '@vi-mmrec/core';

const CROSSOVER = APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US');

export const MAIN_HELP = `vi-mmrec: add VI-MMRec virtual user-item interactions to a multimodal recommendation dataset

Usage:
  vi-mmrec augment <datasetDir> --strategy overlay|synergistic --k <int> --lambda <number> --out <file.tsv> [options]
  vi-mmrec augment <datasetDir> --strategy auto --out <file.tsv> [options]   (needs @vi-mmrec/eval)
  vi-mmrec neighbours <datasetDir> --out-dir <shared> [--k <int>] [--shard i/n] [options]
  vi-mmrec augment <datasetDir> ... --neighbours <shared> [--shard i/n] --out <part.tsv>
  vi-mmrec merge <part.tsv>... --out <file.tsv>
  vi-mmrec demo [--out-dir <dir>] [--quiet]
  vi-mmrec eval <datasetDir> [--model m] [--quick] [--dry-run] [options]   (needs @vi-mmrec/eval)
  vi-mmrec report a.json ... --out report.html   merge saved eval results into one HTML report
  vi-mmrec backends            list installed compute backends

Commands:
  augment    compute the enriched matrix R̄ = R+ + λ Σ_g w^g R^g of a dataset folder (MMRec layout)
  neighbours compute the neighbour tables once (or shard i of n of them) for later augment runs
  merge      join the parts of a sharded augment run into the file a single run writes
  demo       generate a small synthetic dataset and augment it (a few seconds)
  eval       evaluate recommenders with and without virtual interactions
  report     merge 'eval --json' results into one HTML report (needs @vi-mmrec/eval)
  backends   show the backends found and the one --backend auto picks

Options:
  -h, --help       show help (also 'vi-mmrec <command> --help')
  -v, --version    print the version

Exit codes: 0 success, 1 failure (bad data, I/O, backend), 2 usage error, 130 interrupted.
Set VI_MMREC_DEBUG=1 to print stack traces. Docs: docs/cli.md
`;

export const AUGMENT_HELP = `Usage: vi-mmrec augment <datasetDir> --strategy overlay|synergistic --k <int> --lambda <number> --out <file.tsv> [options]
       vi-mmrec augment <datasetDir> --strategy auto --out <file.tsv> [--k <list>] [--lambda <list>] [--negatives <list>] [auto options] [options]

Reads <datasetDir> (MMRec layout: one <name>.inter TSV with userID, itemID, x_label; per
modality <m>_feat.npy or <m>_knn*.tsv; .inter and kNN lists may be .parquet), adds virtual
interactions from the training split (x_label 0) and writes the enriched matrix as TSV, or
Parquet for an --out ending in .parquet (userID itemID weight, sorted).

Required (--k and --lambda not with --strategy auto):
  --strategy <s>      overlay (one group per modality), synergistic (one fused group), or
                      auto (choose the settings on the validation split; see below)
  --k <int>           neighbours per item (≥ 1), e.g. 10
  --lambda <number>   strength λ ≥ 0 of virtual interactions, e.g. 0.1
  -o, --out <file>    enriched matrix to write (atomically): TSV, or Parquet when <file> ends in .parquet
                      - writes the TSV to standard output (the report then goes to stderr)

Options:
  --o-avg <mode>      modality-mean (default) or density: what group overlaps are divided by
  --backend <x>       auto (default: best installed backend that works; exact search up to
                      ${CROSSOVER} items, an approximate backend such as usearch above, if
                      installed), a backend name (cpu, onnxruntime-node, usearch, ...; see
                      'vi-mmrec backends'), or the npm package name or path of a backend
                      package (resolved from the working directory)
  --exact             exact neighbour search at any size (never an approximate backend)
  --modalities <list> comma-separated modality names to use (default: all found)
  --format <f>        what --out holds (default tsv):
                        tsv       userID itemID weight (Parquet when <file> ends in .parquet)
                        sidecar   userID itemID weight real (real 1 = training pair, 0 = virtual):
                                  MMRec/RecBole, read by the Python module vi_mmrec_mmrec
                        labelled  a copy of the .inter with a weight column and the virtual pairs
                                  appended under x_label 3 (MMRec only; docs/integrations/mmrec.md)
  --summary <file>    also write a JSON summary (options, O_avg, overlaps, weights, counts)
  --neighbours <dir>  read the neighbour tables that 'vi-mmrec neighbours --out-dir <dir>' wrote
                      (every shard) instead of searching: no backend; reuse one search for
                      several λ or --o-avg values (--k at most the stored k)
  --shard <i/n>       write only users of shard i of n (0-based) as a TSV part with a manifest
                      line, for 'vi-mmrec merge'; R̄'s weights still come from all users
  -q, --quiet         no progress or informational lines (warnings and errors still print)
  -h, --help          show this help

--strategy auto (needs @vi-mmrec/eval): tries no augmentation and every candidate (overlay and
synergistic × --k × --lambda × --negatives) with a proxy model (BPR-MF unless --proxy-model)
trained until its validation Recall@20 stops improving for 5 epochs and scored at its best
epoch (validation split, never test), then augments with the best candidate, or writes NO
matrix when none beats no augmentation by the minimum gain (exit 0; the report and summary
say "augmented": false). Cost: (1 + candidates) proxy runs of up to --auto-epochs epochs,
plus one augment per candidate (defaults: 9 runs × up to 60 epochs).
  --k <list>          k values to try, e.g. 3,10 (default 3,10)
  --lambda <list>     λ values to try, e.g. 0.05,0.1 (default 0.1)
  --negatives <list>  loader negatives policies: non-real and/or non-interacted (default both)
  --auto-epochs <n>   most epochs per proxy run (default 60)
  --proxy-model <m>   proxy model: bpr (default), lightgcn, vbpr or freedom — the model you
                      train chooses best (slower; on Amazon Baby BPR-MF's pick hurt VBPR)
  --seed <n>          seed of the proxy runs (default 0; same seed, same choice)
  --min-gain <x>      relative validation gain needed to augment (default 0.02 = 2 %;
                      --min-gain=-1 always takes the best candidate)
The report and summary name the negatives policy to use in @vi-mmrec/integration-loader.

Examples:
  vi-mmrec augment data/baby --strategy overlay --k 10 --lambda 0.1 --out baby.enriched.tsv --summary baby.summary.json
  vi-mmrec augment data/baby --strategy auto --k 3,10 --out baby.auto.tsv --summary baby.auto.json
  vi-mmrec augment data/baby --strategy overlay --k 3 --lambda 0.1 --format sidecar --out baby.vi-mmrec.tsv
  vi-mmrec augment data/baby --strategy overlay --k 10 --lambda 0.1 --neighbours nb --shard 0/4 --out part-0.tsv
`;

export const NEIGHBOURS_HELP = `Usage: vi-mmrec neighbours <datasetDir> --out-dir <shared> [--k <int>] [--strategy overlay|synergistic|all] [--shard i/n] [options]

Computes the top-k neighbour tables of <datasetDir>'s items (one per modality, and the fused
one unless --strategy overlay) and writes shard i's item rows of each into <shared> as
neighbour-list TSV (itemID neighborID rank cosine), plus the shard's manifest
neighbours.<i>-of-<n>.json, all replaced together. 'vi-mmrec augment --neighbours <shared>'
reads every shard back. Without --shard: the whole tables (shard 0/1).

Options:
  --out-dir <dir>     folder shared by all shards (must exist; not the dataset folder)
  --k <int>           neighbours per item (≥ 1, default 10); augment may use any k up to it
  --strategy <s>      overlay (per-modality tables only) or synergistic/all (default: both
                      per-modality and fused tables, enough for every augment setting)
  --shard <i/n>       shard i of n (0-based): write items ⌊i·I/n⌋ … ⌊(i+1)·I/n⌋ - 1
  --backend <x>       as for 'vi-mmrec augment' (auto, cpu, onnxruntime-node, usearch, ...)
  --exact             exact neighbour search at any size
  --modalities <list> comma-separated modality names to use (default: all found)
  -q, --quiet         no progress or informational lines
  -h, --help          show this help

Each shard searches the neighbours of its own items only (among all items): onnxruntime-node
does 1/n of the products per shard, usearch builds the whole index and searches 1/n of the
queries, cpu and tfjs-node-gpu search every item and keep the shard's rows. With an exact
backend the shards' tables are the unsharded ones.

Example (3 shards, then one augment per λ):
  for i in 0 1 2; do vi-mmrec neighbours data/baby --k 10 --shard $i/3 --out-dir nb; done
  vi-mmrec augment data/baby --strategy overlay --k 10 --lambda 0.1 --neighbours nb --out baby.l01.tsv
`;

export const MERGE_HELP = `Usage: vi-mmrec merge <part.tsv>... --out <file.tsv>

Joins the parts written by 'vi-mmrec augment ... --shard i/n --out <part.tsv>' (any order)
into one enriched-matrix TSV, byte for byte the file a single augment run writes. Checks that
the parts are every shard 0…n-1 of one run, each once (same settings and dataset, from their
manifest lines); the output is written atomically and must not be one of the parts.

Options:
  -o, --out <file>    the merged TSV to write
  -h, --help          show this help

Example:
  vi-mmrec merge part-0.tsv part-1.tsv part-2.tsv --out baby.enriched.tsv
`;

export const DEMO_HELP = `Usage: vi-mmrec demo [--out-dir <dir>] [--backend <x>] [--quiet]

Generates a synthetic multimodal dataset (2,000 users, 1,500 items, image 64-d + text 32-d,
seed 42) in MMRec layout, augments it exactly as 'vi-mmrec augment' would (overlay, k 10,
lambda 0.1) and prints what happened.

Options:
  --out-dir <dir>     where to put demo/ (the dataset), enriched.tsv and summary.json (default: a new temp folder)
  --backend <x>       auto (default), a backend name, or a backend package's name or path
  -q, --quiet         no progress or informational lines
  -h, --help          show this help
`;

export const BACKENDS_HELP = `Usage: vi-mmrec backends

Lists the compute backends installed in the working directory's project and beside vi-mmrec
(packages named @vi-mmrec/backend-<name>, vi-mmrec-backend-<name> or
@<scope>/vi-mmrec-backend-<name> that export backendFactory): name, priority, package and
version, whether each initialises on this machine, and which one '--backend auto' uses.
Packages named like backends that cannot be used are listed with the reason.
`;
