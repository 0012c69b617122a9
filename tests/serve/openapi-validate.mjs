// openapi-validate.mjs -- validate an OpenAPI document against the
// official OpenAPI 3.1 JSON schema (npm @seriousme/openapi-schema-validator,
// a test tool installed by scripts/setup.sh into tests/node_modules; works
// offline: the schemas ship in the package). Usage:
//   node tests/serve/openapi-validate.mjs FILE.json
// Prints {"valid":bool,"version":"3.1.0","errors":[...first 10...]} and
// exits 0 when valid, 1 when not, 2 when the validator is not installed.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const mods = process.env.SL_NODE_MODULES || path.join(here, '..', 'node_modules');
let Validator;
try {
  ({ Validator } = await import(pathToFileURL(
    path.join(mods, '@seriousme', 'openapi-schema-validator', 'index.js')).href));
} catch (e) {
  process.stdout.write(JSON.stringify({ installed: false, error: String(e.message || e) }) + '\n');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const v = new Validator();
const res = await v.validate(doc);
const errors = Array.isArray(res.errors) ? res.errors.slice(0, 10) : res.errors ? [res.errors] : [];
process.stdout.write(JSON.stringify({ valid: res.valid, version: v.version, errors }) + '\n');
process.exit(res.valid ? 0 : 1);
