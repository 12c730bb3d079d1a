import type { Repository } from 'typeorm';
import type { Client } from './client.entity';
import { CLIENT_CACHE_MS, ClientsService } from './clients.service';

describe(ClientsService.name, () => {
  const client = { id: 'pk', clientId: 'cli' } as Client;
  let findOneBy: jest.Mock;
  let sut: ClientsService;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    findOneBy = jest.fn(async ({ clientId }: { clientId: string }) => (clientId === 'cli' ? client : null));
    sut = new ClientsService({ findOneBy } as unknown as Repository<Client>);
  });

  afterEach(() => jest.useRealTimers());

  it('reuses a found client for CLIENT_CACHE_MS, then looks again', async () => {
    await expect(sut.findByClientId('cli')).resolves.toBe(client);
    await expect(sut.findByClientId('cli')).resolves.toBe(client);
    expect(findOneBy).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(CLIENT_CACHE_MS);
    await sut.findByClientId('cli');
    expect(findOneBy).toHaveBeenCalledTimes(2);
  });

  it('never caches an unknown client id, and forgets on request', async () => {
    await sut.findByClientId('nobody');
    await sut.findByClientId('nobody');
    expect(findOneBy).toHaveBeenCalledTimes(2);
    await sut.findByClientId('cli');
    sut.forget('cli');
    await sut.findByClientId('cli');
    expect(findOneBy).toHaveBeenCalledTimes(4);
  });
});
