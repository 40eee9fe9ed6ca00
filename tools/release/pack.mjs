#!/usr/bin/env node
// `npm run pack [-- <package>…]`: the install route until the packages are on the npm registry.
// Builds (tsc -b), packs every public package with `npm pack` into dist-packages/ (gitignored),
// and prints the one `npm install` line that installs the packages you name (default:
// integration-loader) in your own project from those tarballs, with every @vi-mmrec package they
// need (tarballs do not fetch their @vi-mmrec peers from a registry).
//
//   node tools/release/pack.mjs [<package>…] [--out=<dir>] [--no-build] [--json=<file>]
//
//   <package>   integration-loader, cli, backend-onnxruntime-node, … (or @vi-mmrec/<name>)
//   --out       where the tarballs go (default: dist-packages/ in the repository)
//   --no-build  skip `tsc -b` (the packages must be built)
//   --json      also write { dir, packages: [{ name, version, tarball }], install: [tarballs] }
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, workspacePackages } from '../publish/lib.mjs';
import { installSet, packAll, publicPackage } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const unknown = argv.filter((a) => a.startsWith('-') && !/^--(out|json)=/.test(a) && a !== '--no-build');
const outDir = resolve(option('out') ?? resolve(root, 'dist-packages'));
const jsonOut = option('json');
const wanted = argv.filter((a) => !a.startsWith('-'));
if (wanted.length === 0) wanted.push('integration-loader');

const fail = (message) => {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
};
if (unknown.length > 0)
  fail(`unknown option ${unknown[0]}; usage: npm run pack -- [<package>…] [--out=<dir>] [--no-build] [--json=<file>]`);
// Check the names before the slow part.
try {
  for (const n of wanted) publicPackage(workspacePackages(root), n);
} catch (e) {
  fail(e.message);
}

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
if (!argv.includes('--no-build')) {
  process.stderr.write('pack: building (tsc -b)…\n');
  const r = await run(resolve(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, env });
  if (r.code !== 0) fail(`tsc -b failed:\n${r.stdout}${r.stderr}`);
}
process.stderr.write(`pack: npm pack of the public packages into ${outDir}…\n`);
let packed;
try {
  packed = await packAll(root, outDir, { env });
} catch (e) {
  fail(e.message);
}
const set = installSet(packed, wanted);
const tarballs = set.map((p) => packed.find((q) => q.name === p.name).tarball);
const line = `npm install ${tarballs.join(' ')}`;
process.stdout.write(
  [
    `Packed ${packed.length} packages (${[...new Set(packed.map((p) => p.version))].join(', ')}) into ${outDir}.`,
    '',
    `To install ${wanted.map((n) => publicPackage(packed, n).name).join(' and ')} in your project (with ${
      set.length - wanted.length === 0
        ? 'nothing else'
        : set
            .filter((p) => !wanted.some((n) => publicPackage(packed, n).name === p.name))
            .map((p) => p.name)
            .join(', ')
    }), run there:`,
    '',
    `  ${line}`,
    '',
    'Third-party dependencies come from the npm registry as usual. Other packages: npm run pack -- <name>… (e.g. cli backend-onnxruntime-node).',
    '',
  ].join('\n'),
);
if (jsonOut !== undefined) {
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ dir: outDir, packages: packed.map(({ name, version, tarball }) => ({ name, version, tarball })), install: tarballs }, null, 2)}\n`,
  );
}
