/**
 * Test-only hook, not a feature: `VI_MMREC_INTERNAL_PAUSE=<phase>` makes `augment` print
 * `vi-mmrec: [internal] paused at <phase>` on stderr and wait at that phase until the run is
 * aborted (a signal); `hang:<phase>` waits ignoring the abort, so that a test can send a
 * second signal. Either way the wait ends after 60 s. Phases: `after-augment` (nothing
 * written yet), `staged-matrix` (the matrix is in its temporary file), `before-commit` (every
 * output staged). Used by the signal tests of the real bin; undocumented for users.
 * @internal
 */
export async function internalPause(phase: string, signal: AbortSignal | undefined): Promise<void> {
  const want = process.env.VI_MMREC_INTERNAL_PAUSE;
  if (want === undefined || (want !== phase && want !== `hang:${phase}`)) return;
  process.stderr.write(`vi-mmrec: [internal] paused at ${phase}\n`);
  const hang = want.startsWith('hang:');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    if (hang || signal === undefined) return;
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
