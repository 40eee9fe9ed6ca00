#!/usr/bin/env node
// The publish test: a real `changeset publish` of every public package to a throw-away local
// registry, then the getting-started journey in an empty project, exactly as the page tells a user.
//
//   node tools/publish/run.mjs [--working-tree] [--keep] [--json=<file>] [--verbose]
//
// Steps (each timed; the summary prints PASS/FAIL per step and a closing "N passed, N failed"):
//  1. copy the repository's tracked files as committed (`git archive HEAD`; with --working-tree:
//     `git ls-files --cached --others --exclude-standard` as they are on disk) to a temp dir,
//     give it a node_modules of links into ours (with @vi-mmrec/* pointing at the copy) and a
//     one-commit git history (changeset publish tags releases);
//  2. `changeset version` when changesets are pending (otherwise the current versions are
//     published as they are), then `tsc -b`;
//  3. start verdaccio on 127.0.0.1 (free port; storage, config and logs in the temp dir;
//     @vi-mmrec/* local only, everything else proxied to the npm registry npm is configured with;
//     anonymous publish allowed, npm sends a fake token from a temp userconfig);
//  4. `changeset publish` and check every public package is on the local registry at its version;
//  5. in an empty project whose .npmrc names only the local registry, run the install line of
//     docs/guide/getting-started.md, check the tree (`npm ls --all`, every @vi-mmrec package from
//     the local registry at the published version);
//  6. run the page's `quickstart.mjs` code block and compare its output with the page's output block;
//  7. compile the TypeScript consumer of tools/publish/consumer/ in that project, as a TypeScript
//     user would: `npm install -D typescript @types/node` (the versions we build with), then `tsc`
//     with the folder's tsconfig (`strict`, `skipLibCheck: false`): a backend written with the
//     helpers of `@vi-mmrec/core/backend` (its imports must be docs/contributing/writing-a-backend.md's,
//     word for word) and the getting-started journey in TypeScript; zero errors, and the
//     `@ts-expect-error` misuses in it only hold while the published types are not `any`;
//  8. the route from a clone, for before the first release: `npm run pack` (tools/release/pack.mjs)
//     in the copy, for the packages the page's `npm run pack -- …` line names plus the CLI; in
//     another empty project, `npm install` of the tarballs it prints (--prefer-offline; the
//     @vi-mmrec scope points at a closed port, so every @vi-mmrec package must come from a
//     tarball), then `npx vi-mmrec --version`, `vi-mmrec demo` data augmented with `vi-mmrec
//     augment`, and the page's quickstart.mjs again (it imports integration-loader);
//  9. stop the registry (its whole process group), even on failure or SIGINT/SIGTERM, and verify
//     that no process of that group is left and the port is closed; remove the temp dir.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractQuickstart, freePort, killChildren, run, workspacePackages } from './lib.mjs';
import { installSet } from '../release/lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const keep = argv.includes('--keep');
const verbose = argv.includes('--verbose');
const workingTree = argv.includes('--working-tree');
const jsonOut = argv.find((a) => a.startsWith('--json='))?.slice('--json='.length);
const GETTING_STARTED = 'docs/guide/getting-started.md';
const WRITING_A_BACKEND = 'docs/contributing/writing-a-backend.md';
const CONSUMER = 'tools/publish/consumer';

// ---------------------------------------------------------------------------------------------
// bookkeeping

const t0 = performance.now();
const steps = [];
let current = null;
const log = (msg) => process.stdout.write(`${msg}\n`);
async function step(name, fn) {
  const started = performance.now();
  current = name;
  log(`\n── ${name}`);
  try {
    const detail = await fn();
    const s = { name, ok: true, seconds: (performance.now() - started) / 1000, detail: detail ?? '' };
    steps.push(s);
    log(`   ok (${s.seconds.toFixed(1)} s)${s.detail ? ` — ${s.detail}` : ''}`);
    return true;
  } catch (error) {
    const s = {
      name,
      ok: false,
      seconds: (performance.now() - started) / 1000,
      detail: error instanceof Error ? error.message : String(error),
    };
    steps.push(s);
    log(`   FAILED (${s.seconds.toFixed(1)} s): ${s.detail}`);
    return false;
  } finally {
    current = null;
  }
}
function fail(message, result) {
  const tail = (s) => s.split('\n').slice(-40).join('\n');
  const out = result ? `\n--- stdout (tail)\n${tail(result.stdout)}\n--- stderr (tail)\n${tail(result.stderr)}` : '';
  throw new Error(`${message}${out}`);
}
async function must(label, cmd, args, opts) {
  const r = await run(cmd, args, { ...opts, echo: verbose });
  if (r.code !== 0) fail(`${label} exited with ${r.code}`, r);
  return r;
}

// An environment without npm's own npm_* variables (when started from `npm run`) or the
// vitest/nx ones, so nothing of the calling process leaks into what we test.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_OPTIONS$|VITEST|NX_)/i.test(k)));

// ---------------------------------------------------------------------------------------------
// cleanup: the registry's process group, children, the temp dir; idempotent

const tmp = mkdtempSync(join(tmpdir(), 'vi-mmrec-publish-'));
let registry = null; // { child, pid, port, url, exited: Promise }
let cleanedUp = false;
let registryCheck = 'not started';

async function stopRegistry() {
  if (!registry) return;
  const { pid, port, exited } = registry;
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (groupAlive()) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  const portOpen = await new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
  const alive = groupAlive();
  registryCheck =
    alive || portOpen
      ? `NOT stopped (group ${pid} alive: ${alive}, port ${port} open: ${portOpen})`
      : `stopped (process group ${pid} empty, port ${port} closed)`;
  registry = null;
  if (alive || portOpen) throw new Error(`registry ${registryCheck}`);
}

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  killChildren('SIGTERM');
  try {
    await stopRegistry();
  } finally {
    if (!keep) rmSync(tmp, { recursive: true, force: true });
  }
}

let interrupted = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    log(`\n${sig} received${current ? ` during "${current}"` : ''}: stopping the registry and cleaning up`);
    cleanup()
      .catch((e) => log(String(e)))
      .finally(() => {
        log(`FAIL: publish test interrupted by ${sig}; ${registryCheck}`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
  });
}

// ---------------------------------------------------------------------------------------------
// the test

const copy = join(tmp, 'repo');
const userDir = join(tmp, 'user-project');
const npmCache = join(tmp, 'npm-cache');
let publicPkgs = [];
let published = new Map(); // name -> version
let quickstart = null;
let upstream = null; // the npm registry npm is configured with
const tarballDir = join(tmp, 'tarball-project');

async function main() {
  await step('read the getting-started page', async () => {
    quickstart = extractQuickstart(readFileSync(join(root, GETTING_STARTED), 'utf8'), GETTING_STARTED);
    if (quickstart.packages.length !== 1) {
      throw new Error(`the install line must name exactly one package, it names: ${quickstart.packages.join(' ') || 'none'}`);
    }
    return `install ${quickstart.packages.join(' ')}; quickstart.mjs ${quickstart.script.split('\n').length} lines`;
  });

  const ok =
    (await step(workingTree ? 'copy the working tree (tracked + untracked, not ignored)' : 'copy the tracked files at HEAD', async () => {
      // Tracked files as committed (HEAD), or with --working-tree their working-tree content plus
      // untracked files that are not ignored (to try uncommitted work).
      let n = 0;
      if (workingTree) {
        const r = await must('git ls-files', 'git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
        for (const f of new Set(r.stdout.split('\0').filter(Boolean))) {
          const src = join(root, f);
          if (!existsSync(src)) continue; // deleted in the working tree
          mkdirSync(dirname(join(copy, f)), { recursive: true });
          cpSync(src, join(copy, f));
          n += 1;
        }
      } else {
        mkdirSync(copy, { recursive: true });
        await must('git archive', 'git', ['archive', '--format=tar', '-o', join(tmp, 'head.tar'), 'HEAD'], { cwd: root });
        await must('tar', 'tar', ['-xf', join(tmp, 'head.tar'), '-C', copy]);
        n = (await must('git ls-files', 'git', ['ls-tree', '-r', '--name-only', '-z', 'HEAD'], { cwd: root })).stdout
          .split('\0')
          .filter(Boolean).length;
      }
      // node_modules: links to ours, except @vi-mmrec/* which must be the copy's packages.
      mkdirSync(join(copy, 'node_modules', '@vi-mmrec'), { recursive: true });
      for (const e of readdirSync(join(root, 'node_modules'))) {
        if (e === '@vi-mmrec') continue;
        symlinkSync(join(root, 'node_modules', e), join(copy, 'node_modules', e));
      }
      const pkgs = workspacePackages(copy);
      for (const p of pkgs)
        symlinkSync(
          relative(join(copy, 'node_modules', '@vi-mmrec'), p.dir),
          join(copy, 'node_modules', '@vi-mmrec', p.name.split('/')[1]),
        );
      publicPkgs = pkgs.filter((p) => !p.private);
      const git = ['-c', 'user.name=publish-test', '-c', 'user.email=publish-test@localhost', '-c', 'commit.gpgsign=false'];
      await must('git init', 'git', ['init', '-q', '-b', 'main'], { cwd: copy });
      await must('git add', 'git', ['add', '-A'], { cwd: copy });
      await must('git commit', 'git', [...git, 'commit', '-q', '-m', 'snapshot of the working tree'], { cwd: copy });
      return `${n} files, ${publicPkgs.length} public packages`;
    })) &&
    (await step('changeset version', async () => {
      const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
      if (pending.length === 0) return 'no pending changesets: publishing the current versions';
      await must('changeset version', join(copy, 'node_modules/.bin/changeset'), ['version'], {
        cwd: copy,
        env: { ...baseEnv, CI: 'true' },
      });
      const after = workspacePackages(copy).filter((p) => !p.private);
      publicPkgs = after;
      const missingLog = after.filter((p) => !existsSync(join(p.dir, 'CHANGELOG.md'))).map((p) => p.name);
      if (missingLog.length > 0) throw new Error(`no CHANGELOG.md written for ${missingLog.join(', ')}`);
      return `${pending.length} changesets → ${[...new Set(after.map((p) => p.version))].join(', ')}`;
    })) &&
    (await step('build (tsc -b)', async () => {
      await must('tsc -b', join(copy, 'node_modules/.bin/tsc'), ['-b'], { cwd: copy, env: baseEnv });
      const missing = publicPkgs.filter((p) => !existsSync(join(p.dir, 'dist', 'index.js'))).map((p) => p.name);
      if (missing.length > 0) throw new Error(`no dist/index.js in ${missing.join(', ')}`);
    })) &&
    (await step('start the local registry', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/`;
      upstream = (await must('npm config get registry', 'npm', ['config', 'get', 'registry'], { cwd: root, env: baseEnv })).stdout.trim();
      const dir = join(tmp, 'registry');
      mkdirSync(join(dir, 'storage'), { recursive: true });
      writeFileSync(
        join(dir, 'config.yaml'),
        [
          `storage: ${JSON.stringify(join(dir, 'storage'))}`,
          'auth: {}',
          'web: { enable: false }',
          'uplinks:',
          `  npmjs: { url: ${JSON.stringify(upstream)}, timeout: 60s, max_fails: 5 }`,
          'packages:',
          "  '@vi-mmrec/*': { access: $all, publish: $all, unpublish: $all }",
          "  '**': { access: $all, publish: $all, proxy: npmjs }",
          'server: { keepAliveTimeout: 5 }',
          'log: { type: stdout, format: pretty, level: warn }',
          '',
        ].join('\n'),
      );
      const logFd = openSync(join(dir, 'verdaccio.log'), 'a');
      const child = spawn(
        join(root, 'node_modules/.bin/verdaccio'),
        ['--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
        {
          cwd: dir,
          env: baseEnv,
          detached: true, // its own process group: stopRegistry kills the whole group
          stdio: ['ignore', logFd, logFd],
        },
      );
      closeSync(logFd);
      const exited = new Promise((r) => child.once('exit', r));
      registry = { child, pid: child.pid, port, url, exited };
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const res = await fetch(`${url}-/ping`);
          if (res.ok) break;
        } catch {
          /* not up yet */
        }
        if (child.exitCode !== null)
          throw new Error(`verdaccio exited (${child.exitCode}):\n${readFileSync(join(dir, 'verdaccio.log'), 'utf8')}`);
        if (Date.now() > deadline) throw new Error('verdaccio did not answer /-/ping within 30 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      // The publisher's npm config: this registry only, a fake token (verdaccio lets anyone publish).
      writeFileSync(join(tmp, 'publisher.npmrc'), `registry=${url}\n//127.0.0.1:${port}/:_authToken=fake-publish-test-token\n`);
      return `${url} (pid ${child.pid}), uplink = npm's configured registry`;
    })) &&
    (await step('changeset publish', async () => {
      const env = {
        ...baseEnv,
        CI: 'true',
        npm_config_registry: registry.url,
        npm_config_userconfig: join(tmp, 'publisher.npmrc'),
        npm_config_cache: npmCache,
        npm_config_update_notifier: 'false',
      };
      await must('changeset publish', join(copy, 'node_modules/.bin/changeset'), ['publish'], { cwd: copy, env });
      const wrong = [];
      for (const p of publicPkgs) {
        const res = await fetch(`${registry.url}${p.name.replace('/', '%2f')}`);
        const doc = res.ok ? await res.json() : null;
        if (!doc?.versions?.[p.version]) wrong.push(`${p.name}@${p.version}`);
        else published.set(p.name, p.version);
      }
      if (wrong.length > 0) throw new Error(`not on the local registry after publish: ${wrong.join(', ')}`);
      return `${published.size} packages: ${[...published].map(([n, v]) => `${n.split('/')[1]}@${v}`).join(' ')}`;
    })) &&
    (await step(`install as a user: npm install ${quickstart.packages.join(' ')}`, async () => {
      mkdirSync(userDir, { recursive: true });
      writeFileSync(
        join(userDir, 'package.json'),
        `${JSON.stringify({ name: 'vi-mmrec-quickstart', private: true, type: 'module' }, null, 2)}\n`,
      );
      writeFileSync(join(userDir, '.npmrc'), `registry=${registry.url}\n`);
      writeFileSync(join(tmp, 'user.npmrc'), ''); // no ~/.npmrc
      const env = userEnv();
      await must('npm install', 'npm', ['install', ...quickstart.packages], { cwd: userDir, env });
      await must('npm ls --all', 'npm', ['ls', '--all'], { cwd: userDir, env });
      const lock = JSON.parse(readFileSync(join(userDir, 'package-lock.json'), 'utf8'));
      const ours = Object.entries(lock.packages).filter(([k]) => k.includes('node_modules/@vi-mmrec/'));
      const bad = ours.filter(
        ([k, v]) => !v.resolved?.startsWith(registry.url) || v.version !== published.get(k.slice(k.lastIndexOf('@vi-mmrec/'))),
      );
      if (bad.length > 0)
        throw new Error(
          `not installed from the local registry at the published version: ${bad.map(([k, v]) => `${k} ${v.version} ${v.resolved}`).join('; ')}`,
        );
      const names = ours.map(([k, v]) => `${k.slice(k.lastIndexOf('@vi-mmrec/') + 10)}@${v.version}${v.peer ? ' (peer)' : ''}`);
      const thirdParty = Object.keys(lock.packages).filter((k) => k && !k.includes('node_modules/@vi-mmrec/')).length;
      return `${names.join(', ')}; ${thirdParty} third-party packages`;
    })) &&
    (await step('run quickstart.mjs from the page', async () => {
      writeFileSync(join(userDir, 'quickstart.mjs'), quickstart.script);
      const r = await run(process.execPath, ['quickstart.mjs'], { cwd: userDir, env: baseEnv, timeoutMs: 120_000 });
      if (r.code !== 0) fail(`node quickstart.mjs exited with ${r.code}`, r);
      const norm = (s) =>
        s
          .replace(/\r\n/g, '\n')
          .split('\n')
          .map((l) => l.trimEnd())
          .join('\n')
          .trim();
      if (norm(r.stdout) !== norm(quickstart.expected)) {
        fail(`its output differs from the page's output block.\n--- expected\n${norm(quickstart.expected)}\n--- actual\n${norm(r.stdout)}`);
      }
      if (verbose) process.stdout.write(r.stdout);
      return `exit 0, ${norm(r.stdout).split('\n').length} output lines match the page`;
    })) &&
    (await step('compile a TypeScript consumer (tsc, strict, skipLibCheck: false)', async () => {
      // The import statements that open the page's first block importing '@vi-mmrec/core/backend' (up to its first blank line).
      const docImports = readFileSync(join(root, WRITING_A_BACKEND), 'utf8')
        .match(/```ts\n(import \{[^`]*?from '@vi-mmrec\/core\/backend';[^`]*?)```/)?.[1]
        .split('\n\n')[0]
        .trim();
      if (docImports === undefined)
        throw new Error(`${WRITING_A_BACKEND}: no \`\`\`ts block of imports from '@vi-mmrec/core/backend' found`);
      const files = readdirSync(join(root, CONSUMER)).filter((f) => f.endsWith('.ts') || f === 'tsconfig.json');
      // Compared as tokens: line breaks and a trailing comma are the formatter's business.
      const tokens = (s) => s.replace(/,(\s*)\}/g, '$1}').replace(/\s+/g, ' ');
      if (!tokens(readFileSync(join(root, CONSUMER, 'backend.ts'), 'utf8')).includes(tokens(docImports))) {
        throw new Error(
          `${CONSUMER}/backend.ts must import exactly what ${WRITING_A_BACKEND} shows; copy its import block:\n${docImports}`,
        );
      }
      for (const f of files) cpSync(join(root, CONSUMER, f), join(userDir, f));
      const dev = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
      const tools = ['typescript', '@types/node'].map((n) => `${n}@${dev[n]}`);
      await must('npm install -D', 'npm', ['install', '--save-dev', ...tools], { cwd: userDir, env: userEnv() });
      const r = await run(join(userDir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--pretty', 'false'], {
        cwd: userDir,
        env: baseEnv,
      });
      if (r.code !== 0 || `${r.stdout}${r.stderr}`.trim() !== '') fail(`tsc exited with ${r.code}`, r);
      return `${tools.join(' ')}: ${files.filter((f) => f.endsWith('.ts')).join(', ')} compile with 0 errors`;
    })) &&
    (await tarballRoute());
  return ok;
}

/** Step 8: `npm run pack`, then the tarballs it prints in an empty project, without any registry for @vi-mmrec. */
async function tarballRoute() {
  const names = [...new Set([...quickstart.packNames, 'cli'])];
  let pack = null;
  return (
    (await step(`npm run pack -- ${names.join(' ')} (tarballs of the public packages)`, async () => {
      const json = join(tmp, 'pack.json');
      const r = await must(
        'pack',
        process.execPath,
        ['tools/release/pack.mjs', ...names, '--no-build', `--out=${join(tmp, 'dist-packages')}`, `--json=${json}`],
        { cwd: copy, env: baseEnv },
      );
      pack = JSON.parse(readFileSync(json, 'utf8'));
      const printed = r.stdout
        .split('\n')
        .find((l) => /^\s*npm install /.test(l))
        ?.trim();
      if (printed !== `npm install ${pack.install.join(' ')}`) fail(`the printed install line is not the tarballs' one:\n${printed}`, r);
      const want = installSet(workspacePackages(copy), names).map((p) => `${p.name}@${p.version}`);
      return `${pack.packages.length} tarballs; the install line has ${pack.install.length}: ${want.join(' ')}`;
    })) &&
    (await step('install the tarballs in an empty project (no registry serves @vi-mmrec)', async () => {
      mkdirSync(tarballDir, { recursive: true });
      writeFileSync(
        join(tarballDir, 'package.json'),
        `${JSON.stringify({ name: 'vi-mmrec-from-tarballs', private: true, type: 'module' }, null, 2)}\n`,
      );
      // A closed port for the scope: a @vi-mmrec package not among the tarballs cannot be found.
      writeFileSync(
        join(tarballDir, '.npmrc'),
        `registry=${upstream}\n@vi-mmrec:registry=http://127.0.0.1:${await freePort()}/\nfetch-retries=0\n`,
      );
      const env = {
        ...baseEnv,
        npm_config_userconfig: join(tmp, 'user.npmrc'),
        npm_config_update_notifier: 'false',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
      };
      await must('npm install <tarballs>', 'npm', ['install', '--prefer-offline', ...pack.install], { cwd: tarballDir, env });
      await must('npm ls --all', 'npm', ['ls', '--all'], { cwd: tarballDir, env });
      const lock = JSON.parse(readFileSync(join(tarballDir, 'package-lock.json'), 'utf8'));
      const ours = Object.entries(lock.packages).filter(([k]) => k.includes('node_modules/@vi-mmrec/'));
      const versions = new Map(pack.packages.map((p) => [p.name, p.version]));
      const bad = ours.filter(
        ([k, v]) => !v.resolved?.startsWith('file:') || v.version !== versions.get(k.slice(k.lastIndexOf('@vi-mmrec/'))),
      );
      if (bad.length > 0 || ours.length !== pack.install.length) {
        throw new Error(
          `@vi-mmrec packages not installed from the tarballs (${ours.length} installed, ${pack.install.length} tarballs): ${bad.map(([k, v]) => `${k} ${v.version} ${v.resolved}`).join('; ')}`,
        );
      }
      return `${ours.map(([k, v]) => `${k.slice(k.lastIndexOf('@vi-mmrec/') + 10)}@${v.version}`).join(', ')} from file: tarballs`;
    })) &&
    (await step('from the tarballs: npx vi-mmrec --version, demo data, augment', async () => {
      const env = { ...baseEnv, npm_config_userconfig: join(tmp, 'user.npmrc'), npm_config_update_notifier: 'false' };
      const version = (
        await must('npx vi-mmrec --version', 'npx', ['--no-install', 'vi-mmrec', '--version'], { cwd: tarballDir, env })
      ).stdout.trim();
      const cli = pack.packages.find((p) => p.name === '@vi-mmrec/cli');
      if (version !== cli.version) throw new Error(`vi-mmrec --version printed '${version}', the tarball is ${cli.version}`);
      await must('vi-mmrec demo', 'npx', ['--no-install', 'vi-mmrec', 'demo', '--out-dir', 'demo', '--backend', 'cpu', '--quiet'], {
        cwd: tarballDir,
        env,
      });
      await must(
        'vi-mmrec augment',
        'npx',
        [
          '--no-install',
          'vi-mmrec',
          'augment',
          'demo/demo',
          '--strategy',
          'overlay',
          '--k',
          '3',
          '--lambda',
          '0.1',
          '--out',
          'out.tsv',
          '--summary',
          'out.json',
          '--quiet',
        ],
        { cwd: tarballDir, env },
      );
      const rows = readFileSync(join(tarballDir, 'out.tsv'), 'utf8').trimEnd().split('\n');
      const summary = JSON.parse(readFileSync(join(tarballDir, 'out.json'), 'utf8'));
      if (rows[0] !== 'userID\titemID\tweight' || rows.length - 1 !== summary.counts.total || !(summary.counts.virtualOnly > 0)) {
        throw new Error(`out.tsv has ${rows.length - 1} rows (header '${rows[0]}'), the summary counts ${JSON.stringify(summary.counts)}`);
      }
      return `vi-mmrec ${version}; augment wrote ${rows.length - 1} rows (${summary.counts.virtualOnly} virtual-only)`;
    })) &&
    (await step('from the tarballs: quickstart.mjs from the page (imports integration-loader)', async () => {
      writeFileSync(join(tarballDir, 'quickstart.mjs'), quickstart.script);
      const r = await run(process.execPath, ['quickstart.mjs'], { cwd: tarballDir, env: baseEnv, timeoutMs: 120_000 });
      if (r.code !== 0) fail(`node quickstart.mjs exited with ${r.code}`, r);
      const norm = (t) =>
        t
          .replace(/\r\n/g, '\n')
          .split('\n')
          .map((l) => l.trimEnd())
          .join('\n')
          .trim();
      if (norm(r.stdout) !== norm(quickstart.expected))
        fail(`its output differs from the page's output block.\n--- actual\n${norm(r.stdout)}`);
      return `exit 0, ${norm(r.stdout).split('\n').length} output lines match the page`;
    }))
  );
}

/** npm's environment in the user's project: its own .npmrc only, our temp cache, no noise. */
function userEnv() {
  return {
    ...baseEnv,
    npm_config_userconfig: join(tmp, 'user.npmrc'),
    npm_config_cache: npmCache,
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
}

let fatal = null;
try {
  await main();
} catch (error) {
  fatal = error;
} finally {
  await step('stop the registry and clean up', async () => {
    const had = registry !== null;
    await cleanup();
    return `${had ? registryCheck : 'no registry was started'}${keep ? `; kept ${tmp}` : '; temp dir removed'}`;
  });
}
if (interrupted) await new Promise(() => {}); // the signal handler reports and exits
if (fatal) log(`\nunexpected error: ${fatal.stack ?? fatal}`);

const passed = steps.filter((s) => s.ok).length;
const failed = steps.filter((s) => !s.ok).length + (fatal ? 1 : 0);
const total = (performance.now() - t0) / 1000;
log('\n══ publish test summary');
for (const s of steps) log(`${s.ok ? 'PASS' : 'FAIL'}  ${s.seconds.toFixed(1).padStart(5)} s  ${s.name}`);
const result = failed === 0 && steps.length >= 10 ? 'PASS' : 'FAIL';
log(`${result}: publish test in ${total.toFixed(1)} s`);
if (jsonOut) {
  writeFileSync(jsonOut, `${JSON.stringify({ result, seconds: total, steps, published: Object.fromEntries(published) }, null, 2)}\n`);
}
log(`${passed} passed, ${result === 'PASS' ? failed : Math.max(failed, 1)} failed`);
process.exitCode = result === 'PASS' ? 0 : 1;
