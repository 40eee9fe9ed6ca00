import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';
import type { TestProjectInlineConfiguration, UserWorkspaceConfig } from 'vitest/config';

const source = ['@vi-mmrec/source'];

/**
 * The vitest project of one package: workspace packages resolve to their TypeScript sources
 * through the '@vi-mmrec/source' export condition. Tests run in Vite's SSR environment, so the
 * condition is set there too (Vite applies `resolve.conditions` to the client only), ahead of
 * Vite's default server conditions.
 */
export function packageProject(name: string, test: TestProjectInlineConfiguration['test'] = {}): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions: source },
    ssr: { resolve: { conditions: [...source, ...defaultServerConditions], externalConditions: source } },
    test: { name, include: ['test/**/*.test.ts'], ...test },
  });
}
