// OpenAPI 3.0 -> JSON Schema (draft-07, as Ajv 8 reads it) for Twilio's Video v1 spec.
//
// Translation rules (see README.md, "How the OpenAPI document is turned into JSON Schema"):
//  * `$ref: '#/components/schemas/X'` is inlined (resolved recursively; OpenAPI 3.0 ignores
//    siblings of `$ref`, so do we). A cycle would throw; Twilio's Video schemas have none.
//  * `nullable: true` (OpenAPI 3.0 only; not JSON Schema) becomes a type array:
//    `{type: 'string', nullable: true}` -> `{type: ['string', 'null']}`; an `enum` also gets
//    `null` appended. A nullable schema without `type` (e.g. `grouping_sids`, `video_layout`)
//    already accepts null, so it only loses the keyword.
//  * Twilio-specific formats: `http-method` checks an HTTP method name; `uri-map` (on objects:
//    resource `links`) becomes `additionalProperties: {type: 'string', format: 'uri'}`;
//    `recording-rule` / `subscribe-rule` (on rule objects) carry no check. Standard formats
//    (`date-time`, `uri`, `int64`) come from ajv-formats.
//  * Annotations (`description`, `example`, `examples`, `x-twilio`, `x-*`) are dropped.
//
// Two validators per response:
//  * `schema`: the spec as written (after the translation above). No property is `required`
//    in Twilio's spec and extra properties are allowed.
//  * `strict`: additionally every declared property must be present and no undeclared one may
//    appear, for every object with `properties` except the rule objects (Twilio serialises
//    those NON_NULL: absent keys are omitted). Twilio returns every field of a resource and
//    uses JSON null for absent values (reference §1), and the spec's own examples pass this
//    check (conformance.test.mjs asserts that), so it is how missing or invented fields are
//    found.

import { readFileSync } from 'node:fs';
import path from 'node:path';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { testsNodeDir } from './emulator.mjs';

export const SPEC_PATH = path.join(testsNodeDir, 'fixtures', 'twilio_video_v1.json');

const HTTP_METHODS = new Set(['get', 'post', 'delete', 'put', 'patch']);
const NON_NULL_OBJECT_FORMATS = new Set(['recording-rule', 'subscribe-rule']);

export function loadSpec(file = SPEC_PATH) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function resolvePointer(spec, ref) {
  if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
  let node = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === undefined || !(key in node)) throw new Error(`unresolvable $ref: ${ref}`);
    node = node[key];
  }
  return node;
}

// OpenAPI schema object -> JSON Schema (see the header comment).
export function toJsonSchema(schema, spec, { strict = false } = {}, refStack = []) {
  if (schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, spec, { strict }, refStack));
  if (typeof schema.$ref === 'string') {
    if (refStack.includes(schema.$ref)) {
      throw new Error(`recursive $ref not supported: ${[...refStack, schema.$ref].join(' -> ')}`);
    }
    return toJsonSchema(resolvePointer(spec, schema.$ref), spec, { strict }, [
      ...refStack,
      schema.$ref,
    ]);
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'description' || key === 'example' || key === 'examples') continue;
    if (key.startsWith('x-')) continue;
    if (key === 'properties') {
      out.properties = {};
      for (const [name, sub] of Object.entries(value)) {
        out.properties[name] = toJsonSchema(sub, spec, { strict }, refStack);
      }
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = typeof value === 'object' ? toJsonSchema(value, spec, { strict }, refStack) : value;
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = value.map((s) => toJsonSchema(s, spec, { strict }, refStack));
    } else {
      out[key] = value;
    }
  }
  if (out.format === 'uri-map') {
    delete out.format;
    out.additionalProperties = { type: 'string', format: 'uri' };
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  if (strict && out.properties && !NON_NULL_OBJECT_FORMATS.has(out.format)) {
    out.required = Object.keys(out.properties);
    if (out.additionalProperties === undefined) out.additionalProperties = false;
  }
  return out;
}

// Twilio's REST error body (reference §9); the spec lists no error responses.
export const TWILIO_ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  properties: {
    code: { type: 'integer' },
    message: { type: 'string', minLength: 1 },
    more_info: { type: 'string', format: 'uri', pattern: '^https://www\\.twilio\\.com/docs/errors/\\d+$' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    details: { type: 'object' },
  },
};

export function makeAjv() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('http-method', /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/);
  for (const name of ['recording-rule', 'subscribe-rule', 'uri-map']) ajv.addFormat(name, true);
  return ajv;
}

// path template ('/v1/Rooms/{Sid}') -> anchored RegExp; literal segments win over parameters
// because more literal characters sort first.
function templateRegExp(template) {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`);
}

export class OpenApiValidator {
  constructor(spec = loadSpec()) {
    this.spec = spec;
    this.ajv = makeAjv();
    this.templates = Object.keys(spec.paths)
      .map((template) => ({ template, re: templateRegExp(template) }))
      .sort((a, b) => b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length);
    this.cache = new Map();
    this.errorValidator = this.ajv.compile(TWILIO_ERROR_SCHEMA);
  }

  // '/v1/Rooms/RM123/Participants?Status=x' -> '/v1/Rooms/{RoomSid}/Participants' or null.
  templateFor(concretePath) {
    const pathOnly = concretePath.split('?')[0];
    const match = this.templates.find(({ re }) => re.test(pathOnly));
    return match ? match.template : null;
  }

  operation(template, method) {
    const item = this.spec.paths[template];
    const op = item && HTTP_METHODS.has(method.toLowerCase()) ? item[method.toLowerCase()] : undefined;
    return op ?? null;
  }

  // The OpenAPI response object for (template, method, status), or null.
  responseFor(template, method, status) {
    const op = this.operation(template, method);
    return op?.responses?.[String(status)] ?? null;
  }

  // Compiled { schema, strict } validators for a documented JSON response, or null when the
  // spec has no JSON schema for it.
  validatorsFor(template, method, status) {
    const key = `${method} ${template} ${status}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const response = this.responseFor(template, method, status);
    const raw = response?.content?.['application/json']?.schema;
    let validators = null;
    if (raw) {
      validators = {
        schema: this.ajv.compile(toJsonSchema(raw, this.spec)),
        strict: this.ajv.compile(toJsonSchema(raw, this.spec, { strict: true })),
      };
    }
    this.cache.set(key, validators);
    return validators;
  }

  // Every documented response example: [{ template, method, status, name, value }].
  examples() {
    const out = [];
    for (const [template, item] of Object.entries(this.spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method)) continue;
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const examples = response.content?.['application/json']?.examples ?? {};
          for (const [name, example] of Object.entries(examples)) {
            out.push({ template, method: method.toUpperCase(), status: Number(status), name, value: example.value });
          }
        }
      }
    }
    return out;
  }
}

// Ajv errors -> one readable line each: "/rooms/0/sid must match pattern ...".
export function formatErrors(errors) {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '(root)';
    let detail = e.message;
    if (e.keyword === 'additionalProperties') detail = `has undeclared property "${e.params.additionalProperty}"`;
    if (e.keyword === 'required') detail = `is missing declared property "${e.params.missingProperty}"`;
    if (e.keyword === 'enum') detail = `must be one of ${JSON.stringify(e.params.allowedValues)}`;
    return `${where} ${detail}`;
  });
}
