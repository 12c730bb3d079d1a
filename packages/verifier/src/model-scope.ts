/**
 * Contract 2.7: `model:<id>` scopes restrict a credential to the models they name; one with no
 * `model:` scope is not restricted by model. Tessera's /verify and the middlewares share this
 * rule, so a token is judged alike wherever it is checked.
 */
export const MODEL_SCOPE_PREFIX = 'model:';

export function modelAllowed(scopes: readonly string[], model: string): boolean {
  const models = scopes.filter((s) => s.startsWith(MODEL_SCOPE_PREFIX));
  return models.length === 0 || models.includes(`${MODEL_SCOPE_PREFIX}${model}`);
}

/** True when some `model:` scope restricts the credential, so the request's model must be read. */
export function modelRestricted(scopes: readonly string[]): boolean {
  return scopes.some((s) => s.startsWith(MODEL_SCOPE_PREFIX));
}
