/**
 * A validator of the ITF shape (Apalache ADR-015, Informal Trace Format), written from the ADR's
 * text independently of checker/report/itf.ts: the problems found, empty when the trace is valid.
 */

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Problems of an ITF expression: string, boolean, integer, list, #bigint, #tup, #set, #map or record. */
function valueProblems(x: unknown, where: string): string[] {
  if (typeof x === 'string' || typeof x === 'boolean') return [];
  if (typeof x === 'number') return Number.isSafeInteger(x) ? [] : [`${where}: ${x} is not an integer in [-(2^53)+1, 2^53-1]`];
  if (Array.isArray(x)) return x.flatMap((e, i) => valueProblems(e, `${where}[${i}]`));
  if (!isObject(x)) return [`${where}: ${String(x)} is not an ITF expression`];
  const keys = Object.keys(x);
  const special = keys.filter((k) => k.startsWith('#'));
  if (special.length === 0) return keys.flatMap((k) => valueProblems(x[k], `${where}.${k}`)); // a record
  if (keys.length !== 1) return [`${where}: '${special[0]}' must be the object's only field`];
  const [tag] = special;
  const body = x[tag!];
  switch (tag) {
    case '#bigint':
      return typeof body === 'string' && /^-?[0-9]+$/.test(body) ? [] : [`${where}: #bigint must be a string of digits`];
    case '#tup':
    case '#set':
      return Array.isArray(body) ? body.flatMap((e, i) => valueProblems(e, `${where}${tag}[${i}]`)) : [`${where}: ${tag} must hold an array`];
    case '#map':
      if (!Array.isArray(body)) return [`${where}: #map must hold an array`];
      return body.flatMap((pair, i) =>
        Array.isArray(pair) && pair.length === 2
          ? [...valueProblems(pair[0], `${where}#map[${i}][0]`), ...valueProblems(pair[1], `${where}#map[${i}][1]`)]
          : [`${where}#map[${i}]: not a [key, value] pair`],
      );
    default:
      return [`${where}: unknown form '${tag}'`];
  }
}

/** Problems of an ITF trace object: `#meta`?, `params`?, `vars`, `states`, `loop`?. */
export function itfProblems(trace: unknown): string[] {
  if (!isObject(trace)) return ['the trace is not a JSON object'];
  const problems: string[] = [];
  for (const k of Object.keys(trace)) if (!['#meta', 'params', 'vars', 'states', 'loop'].includes(k)) problems.push(`unknown trace field '${k}'`);
  if ('#meta' in trace && !isObject(trace['#meta'])) problems.push('#meta must be an object');
  if ('params' in trace && !(Array.isArray(trace.params) && trace.params.every((p) => typeof p === 'string'))) problems.push('params must be an array of strings');
  const vars = trace.vars;
  if (!Array.isArray(vars) || !vars.every((v) => typeof v === 'string')) return [...problems, 'vars must be an array of strings'];
  const states = trace.states;
  if (!Array.isArray(states)) return [...problems, 'states must be an array'];
  states.forEach((s, i) => {
    if (!isObject(s)) {
      problems.push(`states[${i}] is not an object`);
      return;
    }
    if ('#meta' in s && !isObject(s['#meta'])) problems.push(`states[${i}].#meta must be an object`);
    for (const v of vars) if (!(v in s)) problems.push(`states[${i}] has no value for variable '${v}'`);
    for (const k of Object.keys(s)) {
      if (k === '#meta') continue;
      if (!vars.includes(k)) problems.push(`states[${i}] has '${k}', which is not in vars`);
      else problems.push(...valueProblems(s[k], `states[${i}].${k}`));
    }
  });
  if ('loop' in trace && !(Number.isInteger(trace.loop) && (trace.loop as number) >= 0 && (trace.loop as number) < states.length)) {
    problems.push('loop must be the index of a state');
  }
  return problems;
}
