// Wiring shared by the generators: the lists outside a new package that name it. Each edit is
// idempotent (running a generator twice changes nothing the second time).
const { spawnSync } = require('node:child_process');
const { names, readJson, updateJson } = require('@nx/devkit');

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const RESERVED = new Set(['auto', 'conformance']);

/**
 * The options every generator shares, checked: `name` (a package suffix), the package folder
 * `<kind>-<name>`, `description` (one line, ends with a full stop; `fallback(className)` when
 * empty), the name's `className` / `propertyName`, and core's version for the dependency ranges.
 */
function commonOptions(tree, options, kind, fallback) {
  const name = String(options.name ?? '');
  if (!NAME.test(name))
    throw new Error(`${kind} name '${name}': use lower case letters, digits and single dashes, starting with a letter (e.g. my-runtime)`);
  if (RESERVED.has(name)) throw new Error(`${kind} name '${name}' is reserved; choose another`);
  const folder = `${kind}-${name}`;
  if (tree.exists(`packages/${folder}`)) throw new Error(`packages/${folder} already exists; choose another name or remove it first`);
  const { className, propertyName } = names(name);
  let description = String(options.description ?? '').trim() || fallback(className);
  if (!/[.!?]$/.test(description)) description += '.';
  if (/[\n"`]/.test(description)) throw new Error('--description must be one line without double quotes or backticks');
  const coreVersion = readJson(tree, 'packages/core/package.json').version;
  return { name, folder, className, propertyName, description, coreVersion, skipInstall: options.skipInstall === true };
}

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

/**
 * Adds a row for a new entry point to the table of docs/reference/index.md, after the last row
 * of the same kind (`| [\`@vi-mmrec/<kindPrefix>…`). No-op when the package has a row.
 */
function addReferenceRow(tree, packageName, what, kindPrefix) {
  const file = 'docs/reference/index.md';
  if (!tree.exists(file)) return;
  const lines = tree.read(file, 'utf8').split('\n');
  if (lines.some((l) => l.startsWith(`| [\`${packageName}\`]`))) return;
  let at = -1;
  lines.forEach((l, i) => {
    if (l.startsWith(`| [\`@vi-mmrec/${kindPrefix}`) || (at === -1 && l.startsWith('| [`@vi-mmrec/'))) at = i;
  });
  if (at === -1) throw new Error(`${file}: no table of entry points to add ${packageName} to`);
  const page = `api/modules/_vi-mmrec_${packageName.slice('@vi-mmrec/'.length).replace(/[^a-z0-9-]/g, '_')}.html`;
  lines.splice(at + 1, 0, `| [\`${packageName}\`](${page}) | ${what} |`);
  tree.write(file, lines.join('\n'));
}

/** Runs a command in the workspace root, output shown; throws with `what` when it fails. */
function runInRoot(root, what, cmd, args) {
  process.stdout.write(`\n> ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}, exit ${r.status ?? r.signal}); fix it and run that command again`);
}

/** `npm install`: links the new workspace package into node_modules and adds it to package-lock.json. */
function npmInstall(root) {
  runInRoot(root, 'npm install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
}

module.exports = { commonOptions, addRootReference, addTypedocEntries, addDocsIndexLine, addReferenceRow, runInRoot, npmInstall };
