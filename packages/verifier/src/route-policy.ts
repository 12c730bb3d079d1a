import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * The route policy of GET /verify (contract 2.6, 5.1): which scopes a method and path need.
 * Pure and framework-free, so the verifier middlewares can share this very matcher.
 *
 * Patterns are absolute paths of literal segments, `{name}` (exactly one segment, captured)
 * and a trailing `*` (one or more further segments). The first rule that matches wins. A
 * route no rule names is refused.
 */
export interface RouteRule {
  /** Upper-case HTTP method, or `*` for any. GET rules also match HEAD. */
  readonly method: string;
  readonly path: string;
  /** Every one of these is required; an empty list admits any valid credential. */
  readonly scopes: readonly string[];
  /**
   * The path parameter that names the model (`*` for the trailing wildcard), checked against
   * the credential's `model:` scopes (contract 2.7); a rule with a `{model}` segment has it.
   */
  readonly model?: string;
}

export interface RoutePolicy {
  readonly rules: readonly RouteRule[];
  /** When set, a JWT must carry this audience. */
  readonly audience: string | null;
}

export interface RouteMatch {
  readonly rule: RouteRule;
  readonly params: Readonly<Record<string, string>>;
  /** The model the route names, when its rule has a model parameter. */
  readonly model: string | null;
}

/** Contract 5.1: the built-in policy for OpenAI-compatible inference servers. */
export const BUILT_IN_RULES: readonly RouteRule[] = [
  { method: 'GET', path: '/v1/models', scopes: ['models:list'] },
  // Hugging Face model ids hold a slash (Qwen/Qwen3-VL-4B-Instruct): the rest of the path is the id.
  { method: 'GET', path: '/v1/models/*', scopes: ['models:read'], model: '*' },
  { method: 'POST', path: '/v1/chat/completions', scopes: ['chat:completions'] },
  { method: 'POST', path: '/v1/completions', scopes: ['completions'] },
  { method: 'POST', path: '/v1/embeddings', scopes: ['embeddings'] },
  { method: 'POST', path: '/v1/audio/*', scopes: ['audio'] },
  { method: 'POST', path: '/v1/images/*', scopes: ['images'] },
  { method: 'POST', path: '/ocr/*', scopes: ['ocr:infer'] },
];

export class RoutePolicyError extends Error {}

const METHOD = /^(\*|[A-Z]{3,10})$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;
const PARAM = /^\{[A-Za-z_][A-Za-z0-9_]{0,31}\}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

type Segment = { literal: string } | { param: string } | { rest: true };

interface CompiledRule {
  readonly rule: RouteRule;
  readonly methods: ReadonlySet<string> | null;
  readonly segments: readonly Segment[];
}

export class RouteMatcher {
  private readonly compiled: readonly CompiledRule[];

  constructor(readonly policy: RoutePolicy) {
    this.compiled = policy.rules.map((rule) => ({
      rule,
      methods: rule.method === '*' ? null : new Set(rule.method === 'GET' ? ['GET', 'HEAD'] : [rule.method]),
      segments: compilePath(rule.path),
    }));
  }

  /** The first rule for this method and (raw, possibly encoded) path; null when none, or the path is unsafe. */
  match(method: string, rawPath: string): RouteMatch | null {
    const segments = normalizePath(rawPath);
    if (!segments) return null;
    const upper = method.toUpperCase();
    for (const c of this.compiled) {
      if (c.methods && !c.methods.has(upper)) continue;
      const params = matchSegments(c.segments, segments);
      if (params) return { rule: c.rule, params, model: c.rule.model ? (params[c.rule.model] ?? null) : null };
    }
    return null;
  }
}

function compilePath(path: string): Segment[] {
  const parts = path.split('/').slice(1);
  return parts.map((part, i) => {
    if (part === '*') return { rest: true as const };
    if (PARAM.test(part)) return { param: part.slice(1, -1) };
    if (LITERAL.test(part) && part !== '.' && part !== '..') return { literal: part };
    // validateRules() refuses these; reaching here is a programming error.
    throw new RoutePolicyError(`segment ${i + 1} "${part}" is not a literal, {param} or a trailing *`);
  });
}

function matchSegments(pattern: readonly Segment[], path: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if ('rest' in p) {
      if (path.length <= i) return null;
      params['*'] = path.slice(i).join('/');
      return params;
    }
    const s = path[i];
    if (s === undefined) return null;
    if ('literal' in p) {
      if (p.literal !== s) return null;
    } else {
      params[p.param] = s;
    }
  }
  return path.length === pattern.length ? params : null;
}

/**
 * The decoded segments of a request path, as the model server will route it: query and
 * fragment dropped, percent-escapes decoded, empty segments collapsed. A `.` or `..` segment,
 * an encoded slash, backslash or NUL, a control character or a bad escape makes the path
 * unsafe to judge (null): proxies pass the raw path on, and servers disagree on what it means,
 * so judging one reading while the server acts on another would be a bypass.
 */
export function normalizePath(raw: string): string[] | null {
  if (raw.length > 8192) return null;
  const path = raw.split(/[?#]/, 1)[0];
  if (!path.startsWith('/') || /[\x00-\x20\x7f\\]/.test(path) || /%(2f|5c|00)/i.test(path)) return null;
  const out: string[] = [];
  for (const encoded of path.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    if (/[\x00-\x1f\x7f]/.test(segment)) return null;
    if (segment === '.' || segment === '..') return null;
    if (segment !== '') out.push(segment);
  }
  return out;
}

/** Checks a policy document (already parsed from JSON or YAML); every problem names its entry. */
export function validatePolicy(doc: unknown): RoutePolicy {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RoutePolicyError('must be an object with "routes"');
  const { routes, audience, ...unknown } = doc as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length) throw new RoutePolicyError(`unknown field "${extra[0]}" (expected "routes" and optionally "audience")`);
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) throw new RoutePolicyError('audience: must be a non-empty string');
  if (!Array.isArray(routes) || routes.length === 0) throw new RoutePolicyError('routes: must be a non-empty list');
  const rules = routes.map((entry, i) => validateRule(entry, `routes[${i}]`));
  return { rules, audience: (audience as string | undefined) ?? null };
}

function validateRule(entry: unknown, where: string): RouteRule {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new RoutePolicyError(`${where}: must be an object`);
  const { method, path, scopes, scope, model, ...unknown } = entry as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length) throw new RoutePolicyError(`${where}: unknown field "${extra[0]}"`);
  if (typeof method !== 'string' || !METHOD.test(method.toUpperCase())) throw new RoutePolicyError(`${where}.method: must be an HTTP method or "*"`);
  if (typeof path !== 'string' || !path.startsWith('/')) throw new RoutePolicyError(`${where}.path: must be a path starting with /`);
  const parts = path.split('/').slice(1);
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '*' ? !last : !(PARAM.test(part) || (LITERAL.test(part) && part !== '.' && part !== '..'))) {
      throw new RoutePolicyError(`${where}.path: segment "${part}" must be a literal, a {param}, or * at the end`);
    }
  });
  if (scope !== undefined && scopes !== undefined) throw new RoutePolicyError(`${where}: give "scope" or "scopes", not both`);
  const list = scope !== undefined ? [scope] : scopes;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && SCOPE.test(s))) {
    throw new RoutePolicyError(`${where}.scopes: must be a list of scope names (no spaces or quotes)`);
  }
  const params = parts.filter((p) => PARAM.test(p)).map((p) => p.slice(1, -1));
  if (parts.at(-1) === '*') params.push('*');
  let modelParam: string | undefined;
  if (model !== undefined) {
    const name = typeof model === 'string' ? model.replace(/^\{(.*)\}$/, '$1') : '';
    if (!params.includes(name)) throw new RoutePolicyError(`${where}.model: must name a {param} of the path, or "*" for its trailing wildcard`);
    modelParam = name;
  } else if (params.includes('model')) {
    modelParam = 'model';
  }
  return { method: method.toUpperCase(), path, scopes: [...new Set(list as string[])], ...(modelParam ? { model: modelParam } : {}) };
}

/** ROUTE_POLICY_FILE: JSON (.json) or YAML (anything else); the built-in policy when unset. */
export function loadRoutePolicy(file: string | null): RoutePolicy {
  if (!file) return { rules: BUILT_IN_RULES, audience: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutePolicyError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new RoutePolicyError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return validatePolicy(doc);
}
