// nx g @vi-mmrec/tools:integration <name> [--description=…] [--skipInstall]
//
// Creates packages/integration-<name>: `<name>Records(matrix)`, the entries of augment()'s
// enriched matrix as records (the starting point to replace with what a framework consumes),
// tests against a real augment() run, README, docs page and changeset; then wires it into the
// root tsconfig references, typedoc.json, docs/index.md and docs/reference/index.md and runs
// `npm install` (workspace link + lockfile).
const { join } = require('node:path');
const { formatFiles, generateFiles } = require('@nx/devkit');
const { commonOptions, addDocsIndexLine, addReferenceRow, addRootReference, addTypedocEntries, npmInstall } = require('../lib.cjs');

async function integrationGenerator(tree, options) {
  const o = commonOptions(
    tree,
    options,
    'integration',
    (className) =>
      `${className} integration for vi-mmrec: the enriched interaction matrix as plain records (the generator's starting point).`,
  );
  generateFiles(tree, join(__dirname, 'files'), '.', { ...o, tmpl: '' });
  addRootReference(tree, o.folder);
  addTypedocEntries(tree, `@vi-mmrec/${o.folder}`, [`packages/${o.folder}/src/index.ts`], 'integration-');
  addReferenceRow(tree, `@vi-mmrec/${o.folder}`, `\`${o.propertyName}Records\``, 'integration-');
  addDocsIndexLine(
    tree,
    'Integrations',
    `- [\`@vi-mmrec/${o.folder}\`](integrations/${o.name}.md): ${o.description}`,
    `integrations/${o.name}.md`,
    '- [`@vi-mmrec/integration-',
  );
  await formatFiles(tree); // Prettier, as `npm run lint` checks
  return () => {
    if (o.skipInstall) {
      process.stdout.write('\nSkipped npm install: run it to link the package and update package-lock.json.\n');
      return;
    }
    npmInstall(tree.root);
    process.stdout.write(`\nCreated packages/${o.folder}. Next: cd packages/${o.folder} && npx --no-install vitest run\n`);
  };
}

module.exports = integrationGenerator;
module.exports.default = integrationGenerator;
