import { HealthIndicatorService } from '@nestjs/terminus';
import { KeyRing } from './key-ring';
import type { KeysService } from './keys.service';
import { KeysHealthIndicator } from './keys-health.indicator';

describe(KeysHealthIndicator.name, () => {
  const indicator = new HealthIndicatorService();

  it('is down while no current signing key is loaded, so /health/ready answers 503', () => {
    const sut = new KeysHealthIndicator({ ring: KeyRing.empty() } as KeysService, indicator);
    expect(sut.check()).toEqual({ signingKey: { status: 'down', message: 'no current signing key' } });
  });

  it('is up with the current kid once one is loaded', () => {
    const ring = { current: { kid: 'k1' } } as unknown as KeyRing;
    const sut = new KeysHealthIndicator({ ring } as KeysService, indicator);
    expect(sut.check()).toEqual({ signingKey: { status: 'up', kid: 'k1' } });
  });
});
