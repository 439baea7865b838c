// Evaluates a ValidatingAdmissionPolicy's variables and validations with @bufbuild/cel, an implementation of CEL
// independent of the module's, on the activations given. Input (stdin, JSON): { variables: [{name, expression}],
// validations: [expression], cases: [{name, request, object, oldObject}] }. Output (stdout, JSON): { parseErrors:
// [text], cases: [{name, results: [true | false | "error: ..."]}] }. JSON objects become CEL maps, integers CEL ints.
import { parse, run } from "@bufbuild/cel";

function toCel(value) {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === "object") return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  return value;
}

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));

const parseErrors = [];
for (const expression of [...input.variables.map((v) => v.expression), ...input.validations]) {
  try { parse(expression); } catch (e) { parseErrors.push(`${e.message}: ${expression.slice(0, 120)}`); }
}

const cases = [];
for (const c of input.cases) {
  const bindings = { request: toCel(c.request), object: toCel(c.object), oldObject: toCel(c.oldObject ?? null) };
  const variables = new Map();
  bindings.variables = variables;
  let failed = null;
  for (const v of input.variables) {
    try {
      const result = run(v.expression, bindings);
      if (result instanceof Error || (result && result.constructor && result.constructor.name === "CelError")) throw result;
      variables.set(v.name, result);
    } catch (e) { failed = `error: variable ${v.name}: ${e.message ?? e}`; break; }
  }
  const results = [];
  for (const expression of input.validations) {
    if (failed) { results.push(failed); continue; }
    try {
      const result = run(expression, bindings);
      results.push(typeof result === "boolean" ? result : `error: ${result?.message ?? String(result)}`);
    } catch (e) { results.push(`error: ${e.message ?? e}`); }
  }
  cases.push({ name: c.name, results });
}

process.stdout.write(JSON.stringify({ parseErrors, cases }));
