import type { TenantSettings } from './tenant.entity';

/** Keys whose value is set (DTO instances define every declared field, undefined when absent). */
export function definedKeys(obj: object): string[] {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}

/**
 * RFC 7396 merge: a field set to null goes back to the configured default, an absent one is
 * kept, a nested object is merged in turn. Only real overrides are stored.
 */
export function mergeSettings(current: object, patch: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const key of definedKeys(patch)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === null) delete merged[key];
    else if (typeof value !== 'object') merged[key] = value;
    else {
      const nested = mergeSettings((merged[key] as object) ?? {}, value as object);
      // An object left empty holds no override: drop it rather than store {}.
      if (Object.keys(nested).length) merged[key] = nested;
      else delete merged[key];
    }
  }
  return merged;
}

/** Settings as stored: only real overrides, no nulls. */
export function cleanSettings(settings: object): TenantSettings {
  return mergeSettings({}, settings) as TenantSettings;
}
