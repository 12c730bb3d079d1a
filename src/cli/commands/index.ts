import type { Command } from '../command';
import { adminResetPasswordCommand } from './admin.command';
import { apiKeysCreateCommand } from './api-keys.command';
import { keysListCommand, keysRotateCommand } from './keys.command';
import { migrateCommand } from './migrate.command';
import { pruneCommand } from './prune.command';
import { tenantsListCommand } from './tenants.command';

/** In the order `tessera --help` lists them. */
export const COMMANDS: readonly Command[] = [
  migrateCommand,
  adminResetPasswordCommand,
  keysListCommand,
  keysRotateCommand,
  tenantsListCommand,
  apiKeysCreateCommand,
  pruneCommand,
];
