// TypeDoc plugin: names each module after the package (and subpath) users import, e.g.
// "core/src" → "@vi-mmrec/core", "core/src/backend" → "@vi-mmrec/core/backend".
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const m = /^([^/]+)\/src(?:\/(.+))?$/.exec(mod.name);
      if (m) mod.name = `@vi-mmrec/${m[1]}${m[2] && m[2] !== 'index' ? `/${m[2]}` : ''}`;
    }
  });
}
