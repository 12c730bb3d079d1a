import type { Command } from '../command';
import { fields } from '../output';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'run the pruning job once and print what it deleted',
  options: {},
  notes: [
    'The job every instance runs every 10 minutes: revoked token ids past their expiry, old',
    'not-before entries and cache invalidations, expired refresh-token families, and audit',
    'events older than AUDIT_RETENTION. If another instance is pruning right now, nothing is done.',
  ],
  async run(_values, env) {
    const [{ RevocationsModule }, { PruneService }] = await Promise.all([
      import('../../revocations/revocations.module'),
      import('../../revocations/prune.service'),
    ]);
    const result = await env.withContext([RevocationsModule], (app) => app.get(PruneService).prune());
    if (!result) {
      env.print('skipped: another instance is pruning right now', { skipped: true });
      return;
    }
    const text = fields([
      ['revoked access tokens', String(result.revokedAccessTokens)],
      ['not-before entries', String(result.notBefore)],
      ['cache invalidations', String(result.cacheInvalidations)],
      ['refresh-token families', String(result.refreshFamilies)],
      ['audit events', String(result.auditEvents)],
    ]);
    env.print(text, { skipped: false, ...result });
  },
};
