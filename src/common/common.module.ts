import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from './clock';

@Global()
@Module({})
export class CommonModule {
  /** `clock` replaces the system clock (tests walk key lifecycles and expiry with it). */
  static forRoot(clock?: Clock): DynamicModule {
    const provider = clock ? { provide: Clock, useValue: clock } : Clock;
    return { module: CommonModule, providers: [provider], exports: [Clock] };
  }
}
