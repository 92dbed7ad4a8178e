// Used by `node bench/startup.mjs --modules` through `node --import`: registers a resolve hook
// that writes "klscope-module <url>" to stderr for every module the process resolves.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(2, 'klscope-module ' + r.url + '\\n');
  return r;
}`));
