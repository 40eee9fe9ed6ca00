// nx g @vi-mmrec/tools:backend <name> [--description=…] [--priority=-1] [--skipInstall]
//
// Creates packages/backend-<name>: a compute-only backend on defineBackend (an exact brute-force
// cosine top-k in plain TypeScript, which passes the conformance suite as generated), its
// register entry, unit and conformance tests, README, docs page and changeset; then wires it into
// the root tsconfig references, typedoc.json, docs/index.md and docs/reference/index.md, runs
// `npm install` (workspace link + lockfile) and regenerates the conformance matrix. The vi-mmrec command finds the
// package by its name (@vi-mmrec/backend-*), so no CLI list is edited.
const { join } = require('node:path');
const { formatFiles, generateFiles } = require('@nx/devkit');
const {
  commonOptions,
  addDocsIndexLine,
  addReferenceRow,
  addRootReference,
  addTypedocEntries,
  npmInstall,
  runInRoot,
} = require('../lib.cjs');

/** The options, checked, with defaults filled in. */
function normalize(tree, options) {
  const common = commonOptions(
    tree,
    options,
    'backend',
    (className) =>
      `${className} backend for vi-mmrec: exact cosine top-k by brute force in plain TypeScript (the generator's starting point).`,
  );
  const priority = Number(options.priority ?? -1);
  if (!Number.isFinite(priority)) throw new Error(`--priority must be a number, got ${String(options.priority)}`);
  return { ...common, priority };
}

async function backendGenerator(tree, options) {
  const o = normalize(tree, options);
  generateFiles(tree, join(__dirname, 'files'), '.', { ...o, tmpl: '' });
  addRootReference(tree, o.folder);
  addTypedocEntries(tree, `@vi-mmrec/${o.folder}`, [`packages/${o.folder}/src/index.ts`], 'backend-');
  addReferenceRow(tree, `@vi-mmrec/${o.folder}`, `\`${o.propertyName}Backend()\`, \`backendFactory\``, 'backend-');
  addDocsIndexLine(
    tree,
    'Backends',
    `- [\`@vi-mmrec/${o.folder}\`](backends/${o.name}.md): ${o.description}`,
    `backends/${o.name}.md`,
    '- [`@vi-mmrec/backend-',
  );
  await formatFiles(tree); // Prettier, as `npm run lint` checks
  return () => {
    if (o.skipInstall) {
      process.stdout.write(`\nSkipped npm install and the matrix. Run \`npm install\`, then \`node tools/docs/conformance-matrix.mjs\`.\n`);
      return;
    }
    npmInstall(tree.root);
    runInRoot(tree.root, 'regenerating the conformance matrix', 'node', ['tools/docs/conformance-matrix.mjs']);
    process.stdout.write(
      `\nCreated packages/${o.folder}. Next: cd packages/${o.folder} && npx --no-install vitest run\n` +
        `(conformance + unit tests); then replace the brute force in src/${o.name}-backend.ts with your runtime.\n`,
    );
  };
}

module.exports = backendGenerator;
module.exports.default = backendGenerator;
