// Wiring shared by the generators: the lists outside a new package that name it. Each edit is
// idempotent (running a generator twice changes nothing the second time).
const { spawnSync } = require('node:child_process');
const { updateJson } = require('@nx/devkit');

/** Adds `packages/<folder>/tsconfig.build.json` to the root tsconfig.json references (`tsc -b`). */
function addRootReference(tree, folder) {
  const path = `packages/${folder}/tsconfig.build.json`;
  updateJson(tree, 'tsconfig.json', (json) => {
    json.references ??= [];
    if (!json.references.some((r) => r.path === path || r.path === `./${path}`)) json.references.push({ path });
    return json;
  });
}

/**
 * Adds a public package to typedoc.json: its entry points (after the last entry of the same
 * kind, e.g. the last backend) and `packagesRequiringDocumentation`.
 */
function addTypedocEntries(tree, packageName, entryPoints, kindPrefix) {
  updateJson(tree, 'typedoc.json', (json) => {
    json.entryPoints ??= [];
    for (const entry of entryPoints) {
      if (json.entryPoints.includes(entry)) continue;
      const last = json.entryPoints.findLastIndex((e) => e.startsWith(`packages/${kindPrefix}`));
      json.entryPoints.splice(last === -1 ? json.entryPoints.length : last + 1, 0, entry);
    }
    json.packagesRequiringDocumentation ??= [];
    if (!json.packagesRequiringDocumentation.includes(packageName)) {
      const last = json.packagesRequiringDocumentation.findLastIndex((n) => n.startsWith(`@vi-mmrec/${kindPrefix}`));
      json.packagesRequiringDocumentation.splice(last === -1 ? json.packagesRequiringDocumentation.length : last + 1, 0, packageName);
    }
    return json;
  });
}

/**
 * Adds `line` to the bullet list under the `## <section>` heading of docs/index.md, after its
 * last line starting with `after` (or at the end of the list). No-op when a line already links `link`.
 */
function addDocsIndexLine(tree, section, line, link, after) {
  const file = 'docs/index.md';
  if (!tree.exists(file)) return;
  const lines = tree.read(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${section}`);
  if (start === -1) throw new Error(`${file}: no "## ${section}" heading to list the new package under`);
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end === -1) end = lines.length;
  if (lines.slice(start, end).some((l) => l.includes(`](${link})`))) return;
  let at = -1;
  for (let i = start + 1; i < end; i++) if (lines[i].startsWith(after)) at = i;
  if (at === -1) for (let i = start + 1; i < end; i++) if (lines[i].startsWith('- ')) at = i;
  if (at === -1) throw new Error(`${file}: no list under "## ${section}"`);
  // A bullet may continue on indented lines.
  while (at + 1 < end && /^\s+\S/.test(lines[at + 1])) at++;
  lines.splice(at + 1, 0, line);
  tree.write(file, lines.join('\n'));
}

/** Runs a command in the workspace root, output shown; throws with `what` when it fails. */
function runInRoot(root, what, cmd, args) {
  process.stdout.write(`\n> ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}, exit ${r.status ?? r.signal}); fix it and run that command again`);
}

/** `npm install`: links the new workspace package into node_modules and adds it to package-lock.json. */
function npmInstall(root) {
  runInRoot(root, 'npm install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
}

module.exports = { addRootReference, addTypedocEntries, addDocsIndexLine, runInRoot, npmInstall };
