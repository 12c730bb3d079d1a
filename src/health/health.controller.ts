import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator';
import { LivenessResponse } from '../docs/account.schemas';
import { KeysHealthIndicator } from '../keys/keys-health.indicator';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly keys: KeysHealthIndicator,
  ) {}

  /** The process is up and serving; says nothing of its dependencies. */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  @ApiOkResponse({ type: LivenessResponse })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for traffic: the database answers and a current signing key is loaded. */
  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers and a current signing key is loaded' })
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 2000 }), () => this.keys.check()]);
  }
}
