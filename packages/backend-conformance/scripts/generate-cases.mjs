#!/usr/bin/env node
// Regenerates cases/*.json: the inputs are written here by hand (or drawn from a fixed seed),
// the expected outputs come from the independent float64 reference of @vi-mmrec/test-utils
// (NOT from any backend). test/goldens.test.ts checks that the reference still reproduces
// every file, so goldens and reference cannot drift.
//
// Usage (from the repo root): npx --no-install tsc -b packages/test-utils/tsconfig.build.json
//                             node packages/backend-conformance/scripts/generate-cases.mjs
import { writeFileSync } from 'node:fs';
import { createRng, contestedRows, randomDenseFeatures, referenceNeighbours } from '@vi-mmrec/test-utils';

const outDir = new URL('../cases/', import.meta.url);
const f32 = (rows) => ({ dtype: 'float32', dim: rows[0].length, data: rows.flat() });
const f64 = (rows) => ({ dtype: 'float64', dim: rows[0].length, data: rows.flat() });
const NEAR_TIE_TOL = 1e-5; // relTol of float32 backends (relTolForPrecision(32))

function toRequest(input) {
  return {
    numItems: input.numItems,
    parts: input.parts.map((p) => ({ dim: p.dim, data: p.dtype === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data) })),
    outputs: input.outputs,
  };
}

function makeCase(scenario, c) {
  const request = toRequest(c.input);
  // Inputs must be representable exactly in their dtype (no silent rounding in the JSON).
  request.parts.forEach((p, i) => {
    p.data.forEach((v, t) => {
      if (v !== c.input.parts[i].data[t]) throw new Error(`${c.id}: part ${i} value ${t} is not exact in ${c.input.parts[i].dtype}`);
    });
  });
  const tables = referenceNeighbours(request);
  const tolerance = c.tolerance ?? 'exact-ids';
  const expected = tables.map((t, o) => {
    const contested = [...contestedRows(t, NEAR_TIE_TOL)];
    if (tolerance === 'exact-ids' && contested.length > 0 && c.symmetricTie !== true) {
      throw new Error(
        `${scenario}/${c.id}: output ${o} has near-ties at rows ${contested.join(', ')}; use tolerance 'near-tie' or change the input`,
      );
    }
    const out = {
      k: t.k,
      indices: Array.from(t.indices),
      scores: Array.from(t.scores, (s) => (Number.isFinite(s) ? s : null)),
    };
    if (tolerance === 'near-tie') {
      // Full float64 score matrix (null = not a candidate) so near-tie swaps can be judged.
      out.candidateScores = Array.from({ length: t.numItems }, (_, i) =>
        Array.from({ length: t.numItems }, (_, j) => t.score(i, j) ?? null),
      );
    }
    return out;
  });
  return {
    id: `${scenario}/${c.id}`,
    description: c.description,
    tolerance,
    ...(c.minFloatPrecision === undefined ? {} : { minFloatPrecision: c.minFloatPrecision }),
    input: c.input,
    expected,
  };
}

function writeScenario(scenario, description, cases) {
  const file = {
    scenario,
    description,
    generatedBy: 'scripts/generate-cases.mjs (float64 reference of @vi-mmrec/test-utils)',
    cases: cases.map((c) => makeCase(scenario, c)),
  };
  writeFileSync(new URL(`${scenario}.json`, outDir), `${JSON.stringify(file, null, 1)}\n`);
  process.stdout.write(`${scenario}.json: ${cases.length} cases\n`);
}

writeScenario('basic', 'Single-part cosine top-k, checkable by hand.', [
  {
    id: 'plane-k1',
    description:
      'x0=(1,0) x1=(0,1) x2=(1,1) x3=0 x4=(-1,0.5), k=1: row 0 → 2, row 1 → 2, row 2 → 0 (exact tie with 1: a·1 + a·0 = a·0 + a·1 in any float arithmetic; smaller id), row 4 → 1.',
    symmetricTie: true,
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 0],
          [0, 1],
          [1, 1],
          [0, 0],
          [-1, 0.5],
        ]),
      ],
      outputs: [{ parts: [0], k: 1 }],
    },
  },
  {
    id: 'scaled-rows',
    description: 'Cosine ignores row norms: the scaled copies 0 and 1 are each other’s neighbour with score 1.',
    input: {
      numItems: 4,
      parts: [
        f32([
          [1, 2, 2],
          [3, 6, 6],
          [-2, 1, 0],
          [0, 1, -1],
        ]),
      ],
      outputs: [{ parts: [0], k: 1 }],
    },
  },
]);

writeScenario('ties', 'Exact ties: equal scores put the smaller item id first.', [
  {
    id: 'duplicate-rows',
    description: 'Rows 1, 3 and 4 are identical; every tie among them must be broken by smaller id.',
    input: {
      numItems: 6,
      parts: [
        f32([
          [1, 0, 2],
          [0, 1, 1],
          [2, 1, 0],
          [0, 1, 1],
          [0, 1, 1],
          [1, 1, 1],
        ]),
      ],
      outputs: [{ parts: [0], k: 2 }],
    },
  },
  {
    id: 'all-identical',
    description: 'All rows identical: each row lists the others in id order.',
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 2],
          [1, 2],
          [1, 2],
          [1, 2],
          [1, 2],
        ]),
      ],
      outputs: [{ parts: [0], k: 3 }],
    },
  },
  {
    id: 'duplicate-rows-fused',
    description: 'Items 0 and 2 are identical in both parts; fused ties break by smaller id.',
    input: {
      numItems: 4,
      parts: [
        f32([
          [1, 1],
          [0, 1],
          [1, 1],
          [1, 0],
        ]),
        f32([
          [2, 0, 1],
          [1, 1, 1],
          [2, 0, 1],
          [0, 0, 1],
        ]),
      ],
      outputs: [{ parts: [0, 1], k: 2 }],
    },
  },
]);

writeScenario('zero-rows', 'Zero rows have no neighbours and are nobody’s neighbour (per output validity).', [
  {
    id: 'single-part',
    description: 'Items 1 and 3 are zero rows.',
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 2],
          [0, 0],
          [2, -1],
          [0, 0],
          [1, 1],
        ]),
      ],
      outputs: [{ parts: [0], k: 4 }],
    },
  },
  {
    id: 'all-zero',
    description: 'Every row is zero: every table is all padding.',
    input: {
      numItems: 3,
      parts: [
        f32([
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      ],
      outputs: [{ parts: [0], k: 2 }],
    },
  },
  {
    id: 'zero-in-one-part',
    description:
      'Item 0 is zero in part 0 only and item 2 in part 1 only: valid in the fused output with cosine 0 from the zero part; invalid in the single-part outputs.',
    input: {
      numItems: 4,
      parts: [
        f32([
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ]),
        f32([
          [1, 2, 0],
          [1, 0, 0],
          [0, 0, 0],
          [0, 1, 1],
        ]),
      ],
      outputs: [
        { parts: [0], k: 3 },
        { parts: [1], k: 3 },
        { parts: [0, 1], k: 3 },
      ],
    },
  },
]);

writeScenario('k-vs-items', 'k at and beyond the number of candidates: rows are padded with -1 / -Infinity.', [
  {
    id: 'k-equals-items-minus-one',
    description: 'k = I − 1: every other item is listed.',
    input: {
      numItems: 4,
      parts: [
        f32([
          [1, 0],
          [1, 2],
          [-1, 1],
          [3, 1],
        ]),
      ],
      outputs: [{ parts: [0], k: 3 }],
    },
  },
  {
    id: 'k-greater-than-items',
    description: 'k = I + 3: padding after the I − 1 neighbours.',
    input: {
      numItems: 3,
      parts: [
        f32([
          [1, 0],
          [1, 2],
          [-1, 1],
        ]),
      ],
      outputs: [{ parts: [0], k: 6 }],
    },
  },
  {
    id: 'single-item',
    description: 'One item: no neighbour at all.',
    input: { numItems: 1, parts: [f32([[1, 2, 3]])], outputs: [{ parts: [0], k: 2 }] },
  },
  {
    id: 'no-items',
    description: 'Zero items: empty tables.',
    input: { numItems: 0, parts: [{ dtype: 'float32', dim: 3, data: [] }], outputs: [{ parts: [0], k: 2 }] },
  },
]);

writeScenario('fused', 'Outputs summing the cosines of several parts of different dimensions.', [
  {
    id: 'two-parts',
    description: 'Fused score = cos_0 + cos_1; parts disagree, so the fused order differs from each part’s.',
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 0.25],
          [0.5, 1],
          [1, 1.5],
          [1, -1],
          [2, 0.75],
        ]),
        f32([
          [0, 1, 0.5],
          [1, 0.25, 0],
          [0.5, 0, 1],
          [1, 1.5, 0],
          [0, 1, 2],
        ]),
      ],
      outputs: [{ parts: [0, 1], k: 2 }],
    },
  },
  {
    id: 'three-parts-reordered',
    description: 'Three parts listed out of order in the output.',
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 0.25],
          [0.5, 1],
          [1, 1.5],
          [1, -1],
          [2, 0.75],
        ]),
        f32([
          [0, 1, 0.5],
          [1, 0.25, 0],
          [0.5, 0, 1],
          [1, 1.5, 0],
          [0, 1, 2],
        ]),
        f32([[1], [-1], [2], [0], [0.5]]),
      ],
      outputs: [{ parts: [2, 0, 1], k: 3 }],
    },
  },
]);

writeScenario('multi-output', 'Several outputs in one request (one pass over the data), each with its own k.', [
  {
    id: 'three-outputs',
    description: 'Outputs [0] k=1, [1] k=2 and [0, 1] k=4 in one request.',
    input: {
      numItems: 5,
      parts: [
        f32([
          [1, 0],
          [0, 1],
          [1, 1.25],
          [0, 0],
          [-1, 0.5],
        ]),
        f32([
          [1, 2, 0],
          [2, 1, 0.5],
          [0, 1, 1],
          [1, 0, 1],
          [0, 0.25, 3],
        ]),
      ],
      outputs: [
        { parts: [0], k: 1 },
        { parts: [1], k: 2 },
        { parts: [0, 1], k: 4 },
      ],
    },
  },
]);

writeScenario('negative', 'Negative cosines are valid scores: a row keeps its least dissimilar candidates.', [
  {
    id: 'antipodal',
    description: 'Items are mostly opposite to each other; top-k must contain negative scores in descending order.',
    input: {
      numItems: 4,
      parts: [
        f32([
          [1, 0],
          [-1, 0.25],
          [-1, -0.5],
          [0.5, -2],
        ]),
      ],
      outputs: [{ parts: [0], k: 2 }],
    },
  },
  {
    id: 'fused-negative',
    description: 'Fused scores below zero and down to -2.',
    input: {
      numItems: 3,
      parts: [
        f32([
          [1, 1],
          [-1, -1],
          [1, -1],
        ]),
        f32([[2], [-3], [1]]),
      ],
      outputs: [{ parts: [0, 1], k: 2 }],
    },
  },
]);

writeScenario('float64-input', 'Float64Array features are accepted and computed (in float32).', [
  {
    id: 'non-float32-values',
    description: 'Values such as 0.1 and 1/3 that float32 cannot represent; gaps are far above float32 rounding.',
    input: {
      numItems: 4,
      parts: [
        f64([
          [0.1, 1 / 3],
          [0.7, -0.2],
          [1 / 3, 0.1],
          [-0.3, 0.9],
        ]),
      ],
      outputs: [{ parts: [0], k: 2 }],
    },
  },
  {
    id: 'sub-float32-near-tie',
    tolerance: 'near-tie',
    description: 'Items 1 and 2 differ from each other below float32 resolution: either may come first for row 0 (and be kept at k=1).',
    input: {
      numItems: 3,
      parts: [
        f64([
          [1, 0],
          [1, 1e-4],
          [1, 1.0000001e-4],
        ]),
      ],
      outputs: [{ parts: [0], k: 1 }],
    },
  },
]);

// Several row blocks: 300 items (the CPU backend uses 256-row blocks), values in 1/64 steps.
{
  let seed = 1;
  for (;;) {
    const rng = createRng(seed);
    const rows = [];
    const data = randomDenseFeatures(rng, { numItems: 300, dim: 6, style: 'continuous', zeroRowRate: 0.05, duplicateRate: 0.05 });
    for (let i = 0; i < 300; i++) rows.push(Array.from(data.subarray(i * 6, i * 6 + 6), (v) => Math.round(v * 64) / 64));
    const req = toRequest({ numItems: 300, parts: [f32(rows)], outputs: [{ parts: [0], k: 5 }] });
    if (contestedRows(referenceNeighbours(req)[0], NEAR_TIE_TOL).size === 0) {
      writeScenario('blocks', 'More rows than one block; values in 1/64 steps, seed chosen so no boundary is a near-tie.', [
        {
          id: `300-items-seed-${seed}`,
          description: `300 × 6 features (createRng(${seed}), rounded to 1/64), 5% zero and 5% duplicated rows, k = 5.`,
          input: { numItems: 300, parts: [f32(rows)], outputs: [{ parts: [0], k: 5 }] },
        },
      ]);
      break;
    }
    seed++;
  }
}
