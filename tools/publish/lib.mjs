// Helpers shared by the publish tools: child processes that can be interrupted, free ports,
// the workspace's package list, and the quickstart extracted from docs/guide/getting-started.md.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Children started by {@link run}, so a signal handler can end them. */
export const children = new Set();

/**
 * Runs a command without a shell and resolves with its exit code and output (never rejects on a
 * non-zero exit). Asynchronous on purpose: with spawnSync, SIGINT/SIGTERM handlers could not run
 * until the child ended. `echo` also streams the output to ours.
 */
export function run(cmd, args, { cwd, env, echo = false, timeoutMs = 10 * 60_000 } = {}) {
  return new Promise((resolve) => {
    // Its own process group, so killChildren() also ends what it started (npm publish under
    // changeset publish, …).
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (echo) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: -1, stdout, stderr: `${stderr}${error.message}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : -1), signal, stdout, stderr });
    });
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Sends `signal` to every running child's process group. */
export function killChildren(signal = 'SIGTERM') {
  for (const c of children) killGroup(c, signal);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every workspace package: `{ dir, name, version, private, json }`. */
export function workspacePackages(root) {
  const dir = join(root, 'packages');
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'package.json')))
    .sort()
    .map((d) => {
      const json = JSON.parse(readFileSync(join(dir, d, 'package.json'), 'utf8'));
      return { dir: join(dir, d), folder: d, name: json.name, version: json.version, private: json.private === true, json };
    });
}

/**
 * Splits a markdown page into its fenced code blocks: `{ lang, info, code }` where `info` is the
 * whole info string (e.g. `js quickstart.mjs`).
 */
export function codeBlocks(markdown) {
  const blocks = [];
  const re = /^(```+|~~~+)([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (const m of markdown.matchAll(re)) {
    const info = m[2].trim();
    blocks.push({ lang: info.split(/\s+/)[0] ?? '', info, code: m[3] });
  }
  return blocks;
}

/**
 * What the publish test needs from the getting-started page: the registry install command (the
 * first `sh` line `npm install @vi-mmrec/…`), the packages of its route from a clone (the `sh`
 * line `npm run pack -- <package>…`), the user script (the `js` block whose info string names `quickstart.mjs`)
 * and the expected output (the `text` block whose info string says `output`).
 */
export function extractQuickstart(markdown, page = 'docs/guide/getting-started.md') {
  const blocks = codeBlocks(markdown);
  // The registry route: the first `npm install` of package names (not tarball paths).
  const install = blocks.find(
    (b) => ['sh', 'bash', 'shell'].includes(b.lang) && /^\s*npm install( @vi-mmrec\/[\w-]+)+\s*(#.*)?$/m.test(b.code),
  );
  const script = blocks.find((b) => b.lang === 'js' && /\bquickstart\.mjs\b/.test(b.info));
  const output = blocks.find((b) => b.lang === 'text' && /\boutput\b/.test(b.info));
  const missing = [
    install ? null : 'a ```sh block with `npm install …`',
    script ? null : 'a ```js quickstart.mjs block',
    output ? null : 'a ```text output block',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`${page}: cannot find ${missing.join(', ')}`);
  const line = install.code
    .split('\n')
    .find((l) => /^\s*npm install @vi-mmrec\//.test(l))
    .replace(/#.*$/, '');
  const packages = line
    .trim()
    .split(/\s+/)
    .slice(2)
    .filter((a) => !a.startsWith('-'));
  // The route from a clone: `npm run pack -- <package>…` in a ```sh block.
  const packLine = blocks
    .filter((b) => ['sh', 'bash', 'shell'].includes(b.lang))
    .flatMap((b) => b.code.split('\n'))
    .find((l) => /^\s*npm run pack\b/.test(l));
  if (packLine === undefined)
    throw new Error(`${page}: cannot find the route from a clone, a \`\`\`sh line \`npm run pack -- <package>…\``);
  const packNames = packLine
    .replace(/#.*$/, '')
    .trim()
    .split(/\s+/)
    .slice(3)
    .filter((a) => a !== '--' && !a.startsWith('-'));
  return { packages, packNames, script: script.code, expected: output.code };
}
