import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../config/config';

export interface ResolvedKek {
  readonly key: Buffer;
  /** Set when the key was read from or generated into DATA_DIR (development only). */
  readonly generatedPath: string | null;
  readonly generatedNow: boolean;
}

/**
 * KEY_ENCRYPTION_KEY when configured; otherwise (never in production: config refuses it) a
 * development key kept in DATA_DIR/kek.key with mode 0600, generated on first use.
 */
export function resolveKek(config: AppConfig): ResolvedKek {
  if (config.keyEncryptionKey) return { key: config.keyEncryptionKey, generatedPath: null, generatedNow: false };
  if (config.nodeEnv === 'production') throw new Error('KEY_ENCRYPTION_KEY is required when NODE_ENV=production');
  const path = join(config.dataDir, 'kek.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`);
    return { key, generatedPath: path, generatedNow: false };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, generatedPath: path, generatedNow: true };
}
