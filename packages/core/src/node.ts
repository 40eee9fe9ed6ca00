/**
 * Node-only helpers of vi-mmrec: finding, validating and loading backend packages installed
 * in a project — `vi-mmrec-backend-<name>`, `@scope/vi-mmrec-backend-<name>` and our own
 * `@vi-mmrec/backend-<name>`, each exporting `backendFactory` — the way the `vi-mmrec` command
 * line and `vi-mmrec eval` read `--backend`. See "Shipping a backend as a package" in
 * docs/contributing/writing-a-backend.md.
 *
 * @packageDocumentation
 */
export { findBackendPackages, loadBackendPackage, loadInstalledBackends, selectBackend } from './backend-packages.js';
export type {
  BackendPackage,
  BackendSearchOptions,
  InstalledBackends,
  LoadedBackendPackage,
  SelectBackendOptions,
} from './backend-packages.js';
