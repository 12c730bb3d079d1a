/** Scopes of the built-in OpenAI-compatible route policy (contract 5.1): a new tenant's default. */
export const INFERENCE_SCOPES: readonly string[] = [
  'models:list',
  'models:read',
  'chat:completions',
  'completions',
  'embeddings',
  'audio',
  'images',
  'ocr:infer',
];

export const ADMIN_TENANT_SCOPE = 'admin:tenant';
export const ADMIN_PLATFORM_SCOPE = 'admin:platform';
