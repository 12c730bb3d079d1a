import type { KeySummary } from '../../keys/dto/key-summary.response';
import { cliAuditActor } from '../cli-actor';
import type { Command } from '../command';
import { table, when } from '../output';

async function keys() {
  const [{ KeysModule }, { KeysService }] = await Promise.all([import('../../keys/keys.module'), import('../../keys/keys.service')]);
  return { KeysModule, KeysService };
}

function keyTable(items: readonly KeySummary[]): string {
  return table(
    ['kid', 'alg', 'state', 'created', 'activated', 'retired', 'revoked', 'remove after'],
    items.map((k) => [k.kid, k.alg, k.state, when(k.createdAt), when(k.activatedAt), when(k.retiredAt), when(k.revokedAt), when(k.removeAfter)]),
  );
}

export const keysListCommand: Command = {
  name: 'keys list',
  summary: 'list the signing keys: kid, algorithm, state and dates',
  options: {},
  async run(_values, env) {
    const { KeysModule, KeysService } = await keys();
    const list = await env.withContext([KeysModule], (app) => app.get(KeysService).list());
    env.print(keyTable(list.items), list);
  },
};

export const keysRotateCommand: Command = {
  name: 'keys rotate',
  summary: 'rotate now: the next key signs from now on, the current one retires',
  options: {},
  notes: [
    'As POST /admin/keys/rotate. Running instances of the service pick the new key up within',
    'half a JWKS max-age; verifiers already hold it, since it was published as the next key.',
  ],
  async run(_values, env) {
    const { KeysModule, KeysService } = await keys();
    const current = await env.withContext([KeysModule], (app) => app.get(KeysService).rotateNow(cliAuditActor()));
    env.print(`rotated: ${current.kid} (${current.alg}) is the current signing key`, current);
  },
};
